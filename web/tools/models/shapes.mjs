// Geometry helpers for the machine models: three.js primitives placed in
// metres, and the part/material records the glTF writer turns into nodes.

import * as THREE from "three";
import { mergeGeometries, mergeVertices } from "three/addons/utils/BufferGeometryUtils.js";

/** A PBR material by name; the writer keeps one glTF material per name. */
export function material(name, color, metalness, roughness, extra = {}) {
  return { name, color: new THREE.Color(color), metalness, roughness, ...extra };
}

/** Drops uvs and indexes the geometry, so any shapes merge and the file stays small. */
function clean(g) {
  g = g.index ? g : mergeVertices(g, 1e-5);
  for (const name of Object.keys(g.attributes)) if (name !== "position" && name !== "normal") g.deleteAttribute(name);
  if (!g.attributes.normal) g.computeVertexNormals();
  return g;
}

/** Places a geometry: rotation (radians, XYZ) then translation. */
export function place(g, [x, y, z] = [0, 0, 0], [rx, ry, rz] = [0, 0, 0]) {
  g.applyMatrix4(new THREE.Matrix4().makeRotationFromEuler(new THREE.Euler(rx, ry, rz)));
  g.translate(x, y, z);
  return g;
}

/** A box centred at `at`. */
export function box(w, h, d, at, rot) {
  return place(new THREE.BoxGeometry(w, h, d), at, rot);
}

const AXIS_ROT = { x: [0, 0, -Math.PI / 2], y: [0, 0, 0], z: [Math.PI / 2, 0, 0] };

/** A cylinder (or cone) along `axis`, centred at `at`. */
export function cyl(rTop, rBottom, length, at, axis = "y", segments = 24, open = false) {
  return place(new THREE.CylinderGeometry(rTop, rBottom, length, segments, 1, open), at, AXIS_ROT[axis]);
}

/** A sphere. */
export function sphere(r, at, w = 10, h = 8) {
  return place(new THREE.SphereGeometry(r, w, h), at);
}

/** A torus in the plane normal to `axis`. */
export function torus(r, tube, at, axis = "y", radial = 8, tubular = 24) {
  const rot = { x: [0, Math.PI / 2, 0], y: [Math.PI / 2, 0, 0], z: [0, 0, 0] }[axis];
  return place(new THREE.TorusGeometry(r, tube, radial, tubular), at, rot);
}

/** Profile turns sharper than this get a crisp edge; gentler ones are shaded smooth. */
const CREASE = Math.cos((35 * Math.PI) / 180);

/**
 * A solid of revolution about `axis` through `at`, from a profile of
 * [radius, position along the axis] points. Sharp turns in the profile
 * make crisp edges; `smooth` shades the whole profile as one surface.
 * Outer surfaces run towards +axis (normals follow the profile's direction).
 */
export function revolve(profile, at, axis = "x", segments = 32, smooth = false) {
  const toLathe = (pts) => clean(new THREE.LatheGeometry(pts.map(([r, a]) => new THREE.Vector2(Math.max(r, 1e-4), a)), segments));
  const pts = profile.filter((p, i) => i === 0 || p[0] !== profile[i - 1][0] || p[1] !== profile[i - 1][1]);
  if (smooth) return place(toLathe(pts), at, AXIS_ROT[axis]);
  const runs = [[pts[0], pts[1]]];
  for (let i = 2; i < pts.length; i++) {
    const [a, b, c] = [pts[i - 2], pts[i - 1], pts[i]];
    const u = new THREE.Vector2(b[0] - a[0], b[1] - a[1]).normalize();
    const v = new THREE.Vector2(c[0] - b[0], c[1] - b[1]).normalize();
    if (u.dot(v) >= CREASE) runs[runs.length - 1].push(c);
    else runs.push([b, c]);
  }
  return place(mergeGeometries(runs.map(toLathe)), at, AXIS_ROT[axis]);
}

/** An extruded 2D outline (x, y) of `depth` along z, centred on z. */
export function extrude(points, depth, at, rot, bevel = 0) {
  const shape = new THREE.Shape(points.map(([x, y]) => new THREE.Vector2(x, y)));
  const g = new THREE.ExtrudeGeometry(shape, {
    depth,
    bevelEnabled: bevel > 0,
    bevelThickness: bevel,
    bevelSize: bevel,
    bevelSegments: 1,
    curveSegments: 8,
  });
  g.translate(0, 0, -depth / 2);
  return place(g, at, rot);
}

/**
 * A tube of varying radius along a path: `frame(t)` gives the centre, the
 * two unit vectors spanning the cross-section and the radius, t in [0, 1].
 */
export function sweep(frame, steps, around = 16, caps = true) {
  const pos = [];
  const nor = [];
  const idx = [];
  for (let i = 0; i <= steps; i++) {
    const { c, u, v, r } = frame(i / steps);
    for (let j = 0; j <= around; j++) {
      const a = (j / around) * Math.PI * 2;
      const n = u.clone().multiplyScalar(Math.cos(a)).add(v.clone().multiplyScalar(Math.sin(a)));
      pos.push(c.x + n.x * r, c.y + n.y * r, c.z + n.z * r);
      nor.push(n.x, n.y, n.z);
    }
  }
  // Wind the faces so they point outwards whatever the handedness of u, v.
  const f0 = frame(0);
  const along = frame(1 / steps).c.sub(f0.c).normalize();
  const flip = f0.v.clone().cross(along).dot(f0.u) < 0;
  const row = around + 1;
  for (let i = 0; i < steps; i++)
    for (let j = 0; j < around; j++) {
      const a = i * row + j;
      if (flip) idx.push(a, a + row, a + 1, a + 1, a + row, a + row + 1);
      else idx.push(a, a + 1, a + row, a + 1, a + row + 1, a + row);
    }
  const g = new THREE.BufferGeometry();
  g.setAttribute("position", new THREE.Float32BufferAttribute(pos, 3));
  g.setAttribute("normal", new THREE.Float32BufferAttribute(nor, 3));
  g.setIndex(idx);
  if (!caps) return g;
  const ends = [0, 1].map((t) => {
    const { c, u, v, r } = frame(t);
    const dir = frame(t === 0 ? 1 / steps : 1 - 1 / steps).c.sub(c).multiplyScalar(-1);
    const n = u.clone().cross(v).normalize();
    const disc = new THREE.CircleGeometry(r, around);
    disc.applyMatrix4(new THREE.Matrix4().makeBasis(u, v, n).setPosition(c));
    if (n.dot(dir) < 0) {
      const ix = disc.index.array;
      for (let k = 0; k < ix.length; k += 3) [ix[k + 1], ix[k + 2]] = [ix[k + 2], ix[k + 1]];
      const na = disc.attributes.normal.array;
      for (let k = 0; k < na.length; k++) na[k] = -na[k];
    }
    return clean(disc);
  });
  return mergeGeometries([clean(g), ...ends]);
}

/** `n` copies of a geometry made by `make(i)`, merged. */
export function repeat(n, make) {
  return merge(Array.from({ length: n }, (_, i) => make(i)));
}

/** Merges geometries into one. */
export function merge(list) {
  return mergeGeometries(list.flat(Infinity).filter(Boolean).map(clean));
}

/**
 * A named part: one glTF node with one mesh, one primitive per material.
 * `shell` parts turn translucent in X-ray so the parts inside show.
 */
export function part(name, prims, shell = false) {
  return { name, shell, prims: prims.map(([mat, geoms]) => ({ mat, geometry: merge([geoms]) })) };
}

/** A ring of bolt heads (hexagonal) on a flange face, axis given. */
export function bolts(n, ringR, headR, length, at, axis = "x") {
  const [x, y, z] = at;
  return repeat(n, (i) => {
    const a = (i / n) * Math.PI * 2 + Math.PI / n;
    const [dy, dz] = [Math.cos(a) * ringR, Math.sin(a) * ringR];
    const p = axis === "x" ? [x, y + dy, z + dz] : axis === "y" ? [x + dy, y, z + dz] : [x + dy, y + dz, z];
    return cyl(headR, headR, length, p, axis, 6);
  });
}
