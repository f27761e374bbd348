"""Answers fernet_crosscheck.rs with JupyterHub 6.1.1's own CryptKeeper.

Reads {"ops": [...]} as JSON on stdin and prints {"results": [...]}, one result per op.
JUPYTERHUB_CRYPT_KEY comes from this process's environment, set by the Rust test for this
child only; the CryptKeeper singleton reads it once, before any op runs.

Ops:
  available                  -> {"ok": true} or {"ok": false, "error": "<Class>: <message>"}
  encrypt {hex}              -> {"token"}: the keeper's MultiFernet encrypts the bytes
  decrypt {token}            -> {"ok", "hex"}: the keeper's MultiFernet decrypts
  encrypt_json {value}       -> {"token"}: CryptKeeper.encrypt (json.dumps, utf8, fernet)
  decrypt_json {token}       -> {"ok", "value"}: CryptKeeper.decrypt
  dumps {value}              -> {"text"}: json.dumps(value), what encrypt_json encrypts
  first_key_decrypt {token}  -> {"ok", "hex"}: a plain Fernet of the first key alone decrypts
  mangled {hex}              -> {"variants": [{"name", "token", "ok", "hex"}]}: a token of the
                                bytes, altered in ways Python's lenient base64 may or may not
                                accept, each decrypted by the keeper
  keys {value, rust_token}   -> how a fresh CryptKeeper parses `value` as JUPYTERHUB_CRYPT_KEY:
                                {"ok": false, "error"} or {"ok": true, "count", "tokens",
                                "rust_first_key"}, with one token of b"probe" per key and
                                whether the first key alone decrypts rust_token
"""

import asyncio
import base64
import json
import os
import sys

from cryptography.fernet import Fernet, InvalidToken
from traitlets.config import Config

from jupyterhub.crypto import KEY_ENV, CryptKeeper


def error_name(e):
    return f"{type(e).__name__}: {e}"


def decrypted(fernet, token):
    try:
        return {"ok": True, "hex": fernet.decrypt(token.encode("ascii")).hex()}
    except InvalidToken as e:
        return {"ok": False, "error": error_name(e)}


async def decrypt_json(ck, token):
    try:
        return {"ok": True, "value": await ck.decrypt(token.encode("ascii"))}
    except (ValueError, InvalidToken) as e:
        # The exceptions JupyterHub's User.get_auth_state catches.
        return {"ok": False, "error": error_name(e)}


def mangled(ck, data):
    fernet = ck.fernet
    token = fernet.encrypt(data).decode("ascii")
    body = token.rstrip("=")
    last = body[-1]
    # Flip the lowest bit of the last character's value: unused bits when padding follows.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    flipped = alphabet[alphabet.index(last) ^ 1]
    variants = {
        "canonical": token,
        "newlines": token[:20] + "\n" + token[20:40] + "\r\n" + token[40:] + "\n",
        "spaces": " " + token[:10] + " " + token[10:] + " ",
        "junk_chars": token[:5] + "!*" + token[5:] + "~",
        "standard_alphabet": token.replace("-", "+").replace("_", "/"),
        "no_padding": body,
        "extra_padding": token + "==",
        "padding_then_junk": token + "=junk" if token.endswith("=") else token + "==junk",
        "leading_padding": "=" + token,
        "low_bits_flipped": body[:-1] + flipped + token[len(body):],
        "last_char_dropped": token[:-1],
        "truncated": token[:8],
        "empty": "",
        # MultiFernet encrypts with its first key; its public encrypt_at_time (not the private
        # list of keys, which cryptography 45+ no longer has) sets the timestamp.
        "future_timestamp": fernet.encrypt_at_time(data, 2**64 - 1).decode("ascii"),
        "epoch_timestamp": fernet.encrypt_at_time(data, 0).decode("ascii"),
    }
    out = []
    for name, variant in variants.items():
        try:
            result = {"ok": True, "hex": fernet.decrypt(variant.encode("ascii")).hex()}
        except InvalidToken:
            result = {"ok": False}
        out.append({"name": name, "token": variant, **result})
    return {"variants": out}


def parse_keys(value, rust_token):
    saved = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = value
    try:
        keys = CryptKeeper(config=Config()).keys
    except Exception as e:
        return {"ok": False, "error": error_name(e)}
    finally:
        if saved is None:
            del os.environ[KEY_ENV]
        else:
            os.environ[KEY_ENV] = saved
    fernets = [Fernet(base64.urlsafe_b64encode(key)) for key in keys]
    result = {
        "ok": True,
        "count": len(keys),
        "tokens": [f.encrypt(b"probe").decode("ascii") for f in fernets],
        "rust_first_key": None,
    }
    if rust_token is not None and fernets:
        result["rust_first_key"] = decrypted(fernets[0], rust_token)
    return result


async def run(op, ck):
    kind = op["op"]
    if kind == "available":
        try:
            ck.check_available()
            return {"ok": True}
        except Exception as e:
            return {"ok": False, "error": error_name(e)}
    if kind == "encrypt":
        return {"token": ck.fernet.encrypt(bytes.fromhex(op["hex"])).decode("ascii")}
    if kind == "decrypt":
        return decrypted(ck.fernet, op["token"])
    if kind == "encrypt_json":
        return {"token": (await ck.encrypt(op["value"])).decode("ascii")}
    if kind == "decrypt_json":
        return await decrypt_json(ck, op["token"])
    if kind == "dumps":
        return {"text": json.dumps(op["value"])}
    if kind == "first_key_decrypt":
        return decrypted(Fernet(base64.urlsafe_b64encode(ck.keys[0])), op["token"])
    if kind == "mangled":
        return mangled(ck, bytes.fromhex(op["hex"]))
    if kind == "keys":
        return parse_keys(op["value"], op.get("rust_token"))
    raise ValueError(f"unknown op {kind!r}")


async def main():
    request = json.load(sys.stdin)
    ck = CryptKeeper.instance(config=Config())
    # Read the keys now, before a `keys` op changes this process's environment.
    ck.keys
    results = [await run(op, ck) for op in request["ops"]]
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
