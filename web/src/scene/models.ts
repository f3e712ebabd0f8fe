// The machine models (glTF files written by tools/gen-models.mjs and served
// under models/), each loaded once per page and cloned per machine: clones
// share geometry and materials, so fifty pumps cost one pump's memory.

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { MeshoptDecoder } from "three/addons/libs/meshopt_decoder.module.js";
import { mergeGeometries } from "three/addons/utils/BufferGeometryUtils.js";

/** A loaded model: its scene and what its root node says about it. */
export interface Model {
  kind: string;
  root: THREE.Object3D;
  parts: string[];
  shells: string[];
  /** Bounding size in metres (x, y, z). */
  size: THREE.Vector3;
  /** The whole model as one vertex-coloured mesh: one draw call when seen from afar. */
  far: THREE.Mesh;
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
  return { kind, root, parts: info.parts ?? [], shells: info.shells ?? [], size, far: merged(root) };
}

/** Bakes every part into one float geometry coloured by its material. */
function merged(root: THREE.Object3D): THREE.Mesh {
  const parts: THREE.BufferGeometry[] = [];
  const inverse = root.matrixWorld.clone().invert();
  root.traverse((o) => {
    if (!(o instanceof THREE.Mesh)) return;
    const src = o.geometry as THREE.BufferGeometry;
    const n = src.attributes.position.count;
    const g = new THREE.BufferGeometry();
    // Quantized attributes become floats before the node transform is baked in.
    const pos = new Float32Array(n * 3);
    const nor = new Float32Array(n * 3);
    const col = new Float32Array(n * 3);
    const c = (o.material as THREE.MeshStandardMaterial).color ?? new THREE.Color(1, 1, 1);
    for (let i = 0; i < n; i++) {
      pos.set([src.attributes.position.getX(i), src.attributes.position.getY(i), src.attributes.position.getZ(i)], i * 3);
      nor.set([src.attributes.normal.getX(i), src.attributes.normal.getY(i), src.attributes.normal.getZ(i)], i * 3);
      col.set([c.r, c.g, c.b], i * 3);
    }
    g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    g.setAttribute("normal", new THREE.BufferAttribute(nor, 3));
    g.setAttribute("color", new THREE.BufferAttribute(col, 3));
    g.setIndex(src.index ? Array.from(src.index.array) : null);
    g.applyMatrix4(inverse.clone().multiply(o.matrixWorld));
    parts.push(g);
  });
  const geometry = mergeGeometries(parts) ?? new THREE.BufferGeometry();
  for (const g of parts) g.dispose();
  return new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ vertexColors: true, roughness: 0.55, metalness: 0.3 }));
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
    if (!m) continue;
    for (const r of [m.root, m.far])
      r.traverse((o) => {
        if (o instanceof THREE.Mesh) {
          o.geometry.dispose();
          for (const mat of [o.material].flat()) mat.dispose();
        }
      });
  }
}
