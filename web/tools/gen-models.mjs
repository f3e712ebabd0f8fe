// Writes the 3D machine models the web app shows, one glTF 2.0 file per
// asset kind, built from three.js geometry: `node tools/gen-models.mjs <outdir>`.
//
// Each file: a root node named after the kind (extras: kind, description,
// parts, shells, size in metres) whose children are the parts, one node
// per part named after it (extras: part, shell), one mesh per part with
// one primitive per material. Positions are int16 and normals int8
// (KHR_mesh_quantization, the node's scale undoes the position step), and
// the buffer is meshopt-compressed (EXT_meshopt_compression, decoded by
// three's MeshoptDecoder), so each file stays in the tens of kilobytes.
// Metres, y up, origin on the floor under the machine.
//
// Part names, which alerts, work-order steps and the scene refer to:
//   pump.gltf     baseplate, motor, coupling, shaft, bearing_frame*, bearing_de,
//                 bearing_nde, seal, impeller, casing* (volute), suction_flange,
//                 discharge_flange
//   cnc.gltf      frame, column, table, spindle, tool, coolant_tank,
//                 control_cabinet, control_panel, enclosure*
//   turbofan.gltf stand, fan, lpc, hpc, combustor, hpt, lpt, nozzle, core*,
//                 casing* (nacelle)
//   line.gltf     frame, belt, rollers, drive, station_1 … station_5
//   sensor.gltf   connection, housing, display
// (* shells: translucent in X-ray so the parts inside show.)

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as THREE from "three";
import { MeshoptEncoder } from "meshoptimizer";
import { pump } from "./models/pump.mjs";
import { cnc } from "./models/cnc.mjs";
import { turbofan } from "./models/turbofan.mjs";
import { line } from "./models/line.mjs";
import { sensor } from "./models/sensor.mjs";

const ARRAY_BUFFER = 34962;
const ELEMENT_ARRAY_BUFFER = 34963;
const BYTE = 5120;
const SHORT = 5122;
const UNSIGNED_SHORT = 5123;
const FLOAT_PRECISION = 1e6;
// 14-bit positions: a tenth of a millimetre on a pump part, and they compress well.
const POSITION_STEPS = 8191;

const round = (v) => Math.round(v * FLOAT_PRECISION) / FLOAT_PRECISION;

/** Collects binary chunks, each aligned to 4 bytes as glTF requires of vertex data. */
class Bin {
  chunks = [];
  length = 0;
  add(bytes) {
    const offset = this.length;
    const pad = (4 - (bytes.byteLength % 4)) % 4;
    this.chunks.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (pad) this.chunks.push(new Uint8Array(pad));
    this.length += bytes.byteLength + pad;
    return offset;
  }
  bytes() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

/** One glTF document for a model: parts as child nodes of a root. */
function toGltf(model) {
  const doc = {
    asset: { version: "2.0", generator: "ferrotwin tools/gen-models.mjs" },
    extensionsUsed: ["KHR_mesh_quantization", "EXT_meshopt_compression"],
    extensionsRequired: ["KHR_mesh_quantization", "EXT_meshopt_compression"],
    scene: 0,
    scenes: [{ name: model.kind, nodes: [0] }],
    nodes: [],
    meshes: [],
    materials: [],
    accessors: [],
    bufferViews: [],
    buffers: [],
  };
  const materials = new Map();
  const materialIndex = (m) => {
    if (!materials.has(m.name)) {
      materials.set(m.name, doc.materials.length);
      doc.materials.push({
        name: m.name,
        pbrMetallicRoughness: {
          baseColorFactor: [...m.color.toArray().map(round), m.opacity ?? 1],
          metallicFactor: m.metalness,
          roughnessFactor: m.roughness,
        },
        ...(m.opacity !== undefined && m.opacity < 1 ? { alphaMode: "BLEND" } : {}),
        ...(m.doubleSided ? { doubleSided: true } : {}),
        ...(m.emissive ? { emissiveFactor: new THREE.Color(m.emissive).toArray().map(round) } : {}),
      });
    }
    return materials.get(m.name);
  };
  // Every primitive's positions, normals and indices go into three shared
  // views; accessors point into them.
  const positions = [];
  const normals = [];
  const indices = [];
  let vertices = 0;
  let indexCount = 0;

  const root = { name: model.kind, children: [], extras: { kind: model.kind, description: model.description, parts: [], shells: [] } };
  doc.nodes.push(root);
  const whole = new THREE.Box3();
  for (const p of model.parts) {
    const box = new THREE.Box3();
    for (const prim of p.prims) {
      prim.geometry.computeBoundingBox();
      box.union(prim.geometry.boundingBox);
    }
    whole.union(box);
    const centre = box.getCenter(new THREE.Vector3());
    const half = box.getSize(new THREE.Vector3()).multiplyScalar(0.5);
    const step = Math.max(half.x, half.y, half.z, 1e-4) / POSITION_STEPS;
    const primitives = p.prims.map((prim) => {
      const g = prim.geometry;
      // Vertex-cache order: it renders faster and compresses better.
      const [remap, n] = MeshoptEncoder.reorderMesh(Uint32Array.from(g.index.array), true, true);
      if (n > 65535) throw new Error(`${model.kind}/${p.name}: ${n} vertices in one primitive (at most 65535)`);
      const pos = new Int16Array(n * 4);
      const nor = new Float32Array(n * 4);
      const lo = [Infinity, Infinity, Infinity];
      const hi = [-Infinity, -Infinity, -Infinity];
      const v = new THREE.Vector3();
      for (let i = 0; i < g.attributes.position.count; i++) {
        const o = remap[i];
        if (o === 0xffffffff) continue;
        v.fromBufferAttribute(g.attributes.position, i).sub(centre).divideScalar(step);
        const q = [Math.round(v.x), Math.round(v.y), Math.round(v.z)];
        for (let k = 0; k < 3; k++) {
          pos[o * 4 + k] = q[k];
          lo[k] = Math.min(lo[k], q[k]);
          hi[k] = Math.max(hi[k], q[k]);
        }
        v.fromBufferAttribute(g.attributes.normal, i).normalize();
        nor.set([v.x, v.y, v.z, 0], o * 4);
      }
      const idx = Uint16Array.from(g.index.array, (i) => remap[i]);
      positions.push(pos);
      normals.push(nor);
      indices.push(idx);
      const prim_ = {
        attributes: {
          POSITION: accessor(doc, { bufferView: 0, byteOffset: vertices * 8, componentType: SHORT, count: n, type: "VEC3", min: lo, max: hi }),
          NORMAL: accessor(doc, { bufferView: 1, byteOffset: vertices * 4, componentType: BYTE, normalized: true, count: n, type: "VEC3" }),
        },
        indices: accessor(doc, { bufferView: 2, byteOffset: indexCount * 2, componentType: UNSIGNED_SHORT, count: idx.length, type: "SCALAR" }),
        material: materialIndex(prim.mat),
      };
      vertices += n;
      indexCount += idx.length;
      return prim_;
    });
    doc.meshes.push({ name: p.name, primitives });
    doc.nodes.push({
      name: p.name,
      mesh: doc.meshes.length - 1,
      translation: centre.toArray().map(round),
      scale: [step, step, step],
      extras: { part: p.name, ...(p.shell ? { shell: true } : {}) },
    });
    root.children.push(doc.nodes.length - 1);
    root.extras.parts.push(p.name);
    if (p.shell) root.extras.shells.push(p.name);
  }
  root.extras.size = whole.getSize(new THREE.Vector3()).toArray().map((v) => Math.round(v * 1000) / 1000);

  const raw = new Bin();
  const bin = new Bin();
  const view = (bytes, target, stride, count, mode, filter) => {
    const packed = MeshoptEncoder.encodeGltfBuffer(bytes, count, stride, mode);
    doc.bufferViews.push({
      buffer: 0,
      byteOffset: raw.add(bytes),
      byteLength: bytes.byteLength,
      target,
      ...(target === ARRAY_BUFFER ? { byteStride: stride } : {}),
      extensions: {
        EXT_meshopt_compression: { buffer: 1, byteOffset: bin.add(packed), byteLength: packed.byteLength, byteStride: stride, count, mode, ...(filter ? { filter } : {}) },
      },
    });
  };
  view(concat(Int16Array, positions), ARRAY_BUFFER, 8, vertices, "ATTRIBUTES");
  view(MeshoptEncoder.encodeFilterOct(concat(Float32Array, normals), vertices, 4, 8), ARRAY_BUFFER, 4, vertices, "ATTRIBUTES", "OCTAHEDRAL");
  view(concat(Uint16Array, indices), ELEMENT_ARRAY_BUFFER, 2, indexCount, "TRIANGLES");
  const bytes = bin.bytes();
  // The uncompressed layout lives in a buffer with no data, which decoders fill.
  doc.buffers.push({ byteLength: raw.length, extensions: { EXT_meshopt_compression: { fallback: true } } });
  doc.buffers.push({ byteLength: bytes.byteLength, uri: "data:application/octet-stream;base64," + Buffer.from(bytes).toString("base64") });
  return doc;
}

function accessor(doc, a) {
  doc.accessors.push(a);
  return doc.accessors.length - 1;
}

/** The bytes of typed arrays laid end to end. */
function concat(Type, arrays) {
  const out = new Type(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return new Uint8Array(out.buffer);
}

const out = process.argv[2];
if (!out) {
  console.error("usage: node tools/gen-models.mjs <outdir>");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
await MeshoptEncoder.ready;
for (const make of [pump, cnc, turbofan, line, sensor]) {
  const model = make();
  const json = JSON.stringify(toGltf(model));
  writeFileSync(join(out, `${model.kind}.gltf`), json);
  const tris = model.parts.reduce((s, p) => s + p.prims.reduce((t, q) => t + q.geometry.index.count / 3, 0), 0);
  console.log(`${model.kind}.gltf: ${model.parts.length} parts, ${tris} triangles, ${(json.length / 1024).toFixed(1)} KB`);
}
