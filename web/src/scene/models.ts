// The machine models (glTF files written by tools/gen-models.mjs and served
// under models/), each loaded once per page and cloned per machine: clones
// share geometry and materials, so fifty pumps cost one pump's memory.

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { MeshoptDecoder } from "three/addons/libs/meshopt_decoder.module.js";

/** A loaded model: its scene and what its root node says about it. */
export interface Model {
  kind: string;
  root: THREE.Object3D;
  parts: string[];
  shells: string[];
  /** Bounding size in metres (x, y, z). */
  size: THREE.Vector3;
}

const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
const cache = new Map<string, Promise<Model>>();

/** The URL of a model file, next to the app's index page. */
export function modelUrl(kind: string): string {
  return new URL(`models/${encodeURIComponent(kind)}.gltf`, document.baseURI).href;
}

async function load(kind: string): Promise<Model> {
  const url = modelUrl(kind);
  let gltf;
  try {
    gltf = await loader.loadAsync(url);
  } catch (e) {
    throw new Error(`the 3D model '${kind}' did not load from ${url}: ${e instanceof Error ? e.message : e}`);
  }
  const root = gltf.scene.children[0] ?? gltf.scene;
  const info = root.userData as { parts?: string[]; shells?: string[]; size?: number[] };
  root.updateMatrixWorld(true);
  const size = info.size ? new THREE.Vector3().fromArray(info.size) : new THREE.Box3().setFromObject(root).getSize(new THREE.Vector3());
  return { kind, root, parts: info.parts ?? [], shells: info.shells ?? [], size };
}

/** The model of an asset kind (pump, cnc, turbofan, line, sensor), loaded once. */
export function model(kind: string): Promise<Model> {
  let p = cache.get(kind);
  if (!p) {
    p = load(kind);
    // A failed load may succeed later (the server was restarting, say).
    p.catch(() => cache.delete(kind));
    cache.set(kind, p);
  }
  return p;
}

/** Frees the GPU copies of every loaded model (they upload again when next drawn). */
export async function releaseModels(): Promise<void> {
  for (const p of cache.values()) {
    const m = await p.catch(() => null);
    m?.root.traverse((o) => {
      if (o instanceof THREE.Mesh) {
        o.geometry.dispose();
        for (const mat of [o.material].flat()) mat.dispose();
      }
    });
  }
}
