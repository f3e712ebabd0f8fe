// WebXR augmented reality: an `immersive-ar` session with hit testing. A
// reticle shows where a detected surface is; a tap places the machine
// there at real size, turned to face the person. Highlights and labels
// keep working (labels as sprites, since page DOM cannot follow the
// camera); a DOM overlay, where the device offers one, carries the status,
// the caller's guidance and an Exit button.

import * as THREE from "three";

/** What the AR session needs from the viewer. */
export interface ARHost {
  renderer: THREE.WebGLRenderer;
  scene: THREE.Scene;
  camera: THREE.PerspectiveCamera;
  /** Switches the scene to AR (only `target` shown, no floor) and back. */
  arMode(on: boolean, target: THREE.Object3D): void;
  /** Per-frame work (highlight pulse, labels). */
  frame(now: number): void;
}

/** Whether this browser and device can run an immersive AR session. */
export async function arSupported(): Promise<boolean> {
  const xr = (navigator as Navigator & { xr?: XRSystem }).xr;
  if (!xr) return false;
  try {
    return await xr.isSessionSupported("immersive-ar");
  } catch {
    return false;
  }
}

/** Runs an AR session placing `target`; resolves once the session has started. */
export async function startAR(host: ARHost, target: THREE.Object3D, guidance?: HTMLElement): Promise<void> {
  const xr = (navigator as Navigator & { xr?: XRSystem }).xr;
  if (!xr) throw new Error("this browser has no WebXR, so it cannot show AR");
  const overlay = document.createElement("div");
  overlay.className = "ft-ar-overlay";
  const status = document.createElement("div");
  status.className = "ft-ar-status";
  status.textContent = "Move the device slowly to find a floor or table, then tap to place the machine.";
  const exit = document.createElement("button");
  exit.textContent = "Exit AR";
  overlay.append(status);
  if (guidance) overlay.append(guidance);
  overlay.append(exit);
  document.body.append(overlay);

  let session: XRSession;
  try {
    session = await xr.requestSession("immersive-ar", {
      requiredFeatures: ["hit-test"],
      optionalFeatures: ["dom-overlay"],
      domOverlay: { root: overlay },
    } as XRSessionInit);
  } catch (e) {
    overlay.remove();
    throw new Error(`the device refused an AR session: ${e instanceof Error ? e.message : e}`);
  }
  exit.onclick = () => void session.end();

  const { renderer, scene } = host;
  const saved = { position: target.position.clone(), quaternion: target.quaternion.clone(), visible: target.visible };
  const background = scene.background;
  renderer.xr.enabled = true;
  renderer.xr.setReferenceSpaceType("local");
  await renderer.xr.setSession(session);
  scene.background = null;
  host.arMode(true, target);
  target.visible = false;

  const reticle = new THREE.Mesh(
    new THREE.RingGeometry(0.12, 0.15, 32).rotateX(-Math.PI / 2),
    new THREE.MeshBasicMaterial({ color: "#3fa7ff", transparent: true, opacity: 0.9 }),
  );
  reticle.matrixAutoUpdate = false;
  reticle.visible = false;
  scene.add(reticle);

  const viewerSpace = await session.requestReferenceSpace("viewer");
  const source = await session.requestHitTestSource?.({ space: viewerSpace });
  if (!source) {
    status.textContent = "This device offers AR but no surface detection (hit test), so the machine cannot be placed.";
  }

  session.addEventListener("select", () => {
    if (!reticle.visible) return;
    const at = new THREE.Vector3().setFromMatrixPosition(reticle.matrix);
    const eye = new THREE.Vector3().setFromMatrixPosition(renderer.xr.getCamera().matrixWorld);
    target.position.copy(at);
    // Turn the machine's front (+z) towards the person.
    target.quaternion.setFromAxisAngle(new THREE.Vector3(0, 1, 0), Math.atan2(eye.x - at.x, eye.z - at.z));
    target.visible = true;
    status.textContent = "Placed at real size. Tap another spot to move it.";
  });

  renderer.setAnimationLoop((now: number, frame?: XRFrame) => {
    const space = renderer.xr.getReferenceSpace();
    if (frame && source && space) {
      const hit = frame.getHitTestResults(source)[0];
      const pose = hit?.getPose(space);
      reticle.visible = !!pose;
      if (pose) reticle.matrix.fromArray(pose.transform.matrix);
    }
    host.frame(now);
    renderer.render(scene, host.camera);
  });

  session.addEventListener("end", () => {
    renderer.setAnimationLoop(null);
    renderer.xr.enabled = false;
    source?.cancel();
    reticle.removeFromParent();
    reticle.geometry.dispose();
    (reticle.material as THREE.Material).dispose();
    target.position.copy(saved.position);
    target.quaternion.copy(saved.quaternion);
    target.visible = saved.visible;
    scene.background = background;
    host.arMode(false, target);
    overlay.remove();
  });
}
