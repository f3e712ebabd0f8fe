"""A small simulated machine served over OPC UA (asyncua), for ferrotwin's
OPC UA tests.

    python machine.py --port 4840 [--certs DIR] [--user NAME:PASSWORD] [--speed-start N]

Serves `opc.tcp://127.0.0.1:PORT/ferrotwin/machine` with two kinds of
endpoint: security None, and Basic256Sha256 SignAndEncrypt with a
self-signed certificate generated into --certs (a temporary directory by
default; give the same directory again to keep the certificate across a
restart). Logins: anonymous, or NAME:PASSWORD (default `operator:secret`).

Variables under Objects/Machine (namespace `urn:ferrotwin:test-machine`,
index 2), changing every 100 ms:
  ns=2;s=Machine.Temperature  Double, a slow sine around 60 degrees
  ns=2;s=Machine.Speed        Int32, counts up from --speed-start (0)
  ns=2;s=Machine.Running      Boolean, flips every 2 s
  ns=2;s=Machine.State        String, "running" or "stopped"
  ns=2;s=Machine.Vibration    Double[3]
  ns=2;s=Machine.Sensor       Double with a Bad status (BadSensorFailure)
Method ns=2;s=Machine.SetSpeed (Int32 speed) -> Int32 previous speed.

Prints `ready opc.tcp://127.0.0.1:PORT/ferrotwin/machine` once listening.
"""

import argparse
import asyncio
import math
import sys
import tempfile
from pathlib import Path

from asyncua import Server, ua, uamethod
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager
from cryptography.x509.oid import ExtendedKeyUsageOID

NAMESPACE = "urn:ferrotwin:test-machine"
APP_URI = "urn:ferrotwin:test-machine:server"


class Logins(UserManager):
    """Anonymous, or the one configured user with its password."""

    def __init__(self, name: str, password: str) -> None:
        self.name, self.password = name, password

    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username is None:
            return User(role=UserRole.User)
        if username == self.name and password == self.password:
            return User(role=UserRole.User, name=username)
        return None


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--certs", type=Path)
    p.add_argument("--user", default="operator:secret")
    p.add_argument("--speed-start", type=int, default=0)
    args = p.parse_args()
    name, _, password = args.user.partition(":")
    certs = args.certs or Path(tempfile.mkdtemp(prefix="opcua-machine-"))
    certs.mkdir(parents=True, exist_ok=True)
    key, cert = certs / "server-key.pem", certs / "server-cert.der"
    # Subject alternative names: the application URI, then the host name the
    # clients use (127.0.0.1), which they check against the certificate.
    await setup_self_signed_certificate(
        key,
        cert,
        APP_URI,
        "127.0.0.1",
        [ExtendedKeyUsageOID.SERVER_AUTH],
        {"commonName": "ferrotwin test machine"},
    )

    url = f"opc.tcp://127.0.0.1:{args.port}/ferrotwin/machine"
    server = Server(user_manager=Logins(name, password))
    await server.init()
    server.set_endpoint(url)
    server.set_server_name("ferrotwin test machine")
    await server.set_application_uri(APP_URI)
    await server.load_certificate(str(cert))
    await server.load_private_key(str(key))
    server.set_security_policy(
        [
            ua.SecurityPolicyType.NoSecurity,
            ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        ]
    )
    server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])

    idx = await server.register_namespace(NAMESPACE)
    machine = await server.nodes.objects.add_object(ua.NodeId("Machine", idx), f"{idx}:Machine")

    async def var(key, value, variant_type):
        return await machine.add_variable(
            ua.NodeId(f"Machine.{key}", idx), f"{idx}:{key}", ua.Variant(value, variant_type)
        )

    temperature = await var("Temperature", 60.0, ua.VariantType.Double)
    speed = await var("Speed", args.speed_start, ua.VariantType.Int32)
    running = await var("Running", True, ua.VariantType.Boolean)
    state = await var("State", "running", ua.VariantType.String)
    vibration = await var("Vibration", [0.0, 0.0, 0.0], ua.VariantType.Double)
    sensor = await var("Sensor", 0.0, ua.VariantType.Double)
    await sensor.write_value(
        ua.DataValue(
            ua.Variant(0.0, ua.VariantType.Double),
            StatusCode=ua.StatusCode(ua.StatusCodes.BadSensorFailure),
        )
    )

    current = {"speed": args.speed_start}

    @uamethod
    def set_speed(parent, new_speed):
        previous = current["speed"]
        current["speed"] = int(new_speed)
        return ua.Variant(previous, ua.VariantType.Int32)

    await machine.add_method(
        ua.NodeId("Machine.SetSpeed", idx),
        f"{idx}:SetSpeed",
        set_speed,
        [ua.VariantType.Int32],
        [ua.VariantType.Int32],
    )

    async with server:
        print(f"ready {url}", flush=True)
        tick = 0
        while True:
            await asyncio.sleep(0.1)
            tick += 1
            t = tick / 10
            current["speed"] += 1
            on = (tick // 20) % 2 == 0
            await temperature.write_value(ua.Variant(60.0 + 5.0 * math.sin(t / 5), ua.VariantType.Double))
            await speed.write_value(ua.Variant(current["speed"], ua.VariantType.Int32))
            await running.write_value(ua.Variant(on, ua.VariantType.Boolean))
            await state.write_value(ua.Variant("running" if on else "stopped", ua.VariantType.String))
            await vibration.write_value(
                ua.Variant([math.sin(t), math.cos(t), 0.5], ua.VariantType.Double)
            )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
