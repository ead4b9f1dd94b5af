// tracker.js checks, in the citizen's browser, that each access-log entry
// shown on "Who used my data" is included in the log the server signed:
// RFC 6962 / RFC 9162 Merkle hashing with WebCrypto SHA-256, the entry's
// audit path, and the root hash of the signed checkpoint (a C2SP signed
// note). Where the browser supports Ed25519 in WebCrypto, the checkpoint's
// signature is checked too against the log's verifier key. Nothing here
// trusts the server's own verdict.
"use strict";

(function () {
  const table = document.getElementById("tracker");
  if (!table) {
    return;
  }
  const msg = {
    ok: table.dataset.msgOk, bad: table.dataset.msgBad,
    sigOK: table.dataset.msgSigOk, sigSkip: table.dataset.msgSigSkip, sigBad: table.dataset.msgSigBad,
  };

  function b64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  function concat(...parts) {
    let n = 0;
    for (const p of parts) {
      n += p.length;
    }
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function equal(a, b) {
    if (a.length !== b.length) {
      return false;
    }
    let d = 0;
    for (let i = 0; i < a.length; i++) {
      d |= a[i] ^ b[i];
    }
    return d === 0;
  }

  // RFC 6962: leaf hash = SHA-256(0x00 || leaf), node = SHA-256(0x01 || l || r).
  const leafHash = (leaf) => sha256(concat(new Uint8Array([0]), leaf));
  const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

  // RFC 9162, section 2.1.3.2: verify an inclusion proof. Indexes are kept
  // as numbers and halved by division, since JavaScript's bit operators
  // work on 32 bits only.
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) {
      return null;
    }
    let fn = index;
    let sn = size - 1;
    let r = await leafHash(leaf);
    for (const p of proof) {
      if (sn === 0) {
        return null;
      }
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  // parseNote splits a C2SP signed note into its text (up to and including
  // the blank line's newline) and signature lines, and reads the checkpoint
  // body: origin, size, base64 root hash.
  function parseNote(note) {
    const cut = note.indexOf("\n\n");
    if (cut < 0) {
      return null;
    }
    const text = note.slice(0, cut + 1);
    const lines = text.split("\n");
    if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) {
      return null;
    }
    const sigs = note.slice(cut + 2).split("\n").filter((l) => l.startsWith("\u2014 "));
    return { text, origin: lines[0], size: Number(lines[1]), root: b64(lines[2]), sigs };
  }

  // checkSignature verifies the note's Ed25519 signature with the verifier
  // key "name+hash+base64(0x01 || key)": true, false, or null when this
  // browser has no Ed25519 in WebCrypto.
  async function checkSignature(cp, vkey) {
    // The name ends at the first "+", the key hash is 8 hex digits, and the
    // base64 key may itself hold "+".
    const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
    if (!m) {
      return false;
    }
    const [, name, hashHex, keyB64] = m;
    const key = b64(keyB64);
    if (key.length !== 33 || key[0] !== 1) {
      return false;
    }
    let pub;
    try {
      pub = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null;
    }
    const want = parseInt(hashHex, 16) >>> 0;
    for (const line of cp.sigs) {
      const [, signer, sigB64] = line.split(" ");
      if (signer !== name) {
        continue;
      }
      const sig = b64(sigB64);
      if (sig.length !== 68) {
        continue;
      }
      const id = ((sig[0] << 24) | (sig[1] << 16) | (sig[2] << 8) | sig[3]) >>> 0;
      if (id !== want) {
        continue;
      }
      const ok = await crypto.subtle.verify({ name: "Ed25519" }, pub, sig.slice(4), new TextEncoder().encode(cp.text));
      if (ok) {
        return true;
      }
    }
    return false;
  }

  async function check(row, out) {
    const cp = parseNote(table.dataset.note || "");
    if (!cp) {
      return { ok: false, text: msg.bad };
    }
    const proof = (row.dataset.proof || "").split(",").filter((s) => s !== "").map(b64);
    const root = await rootFromProof(Number(row.dataset.index), cp.size, b64(row.dataset.leaf), proof);
    const included = root !== null && equal(root, cp.root);
    const sig = await checkSignature(cp, table.dataset.vkey || "");
    const ok = included && sig !== false;
    const sigText = sig === true ? msg.sigOK : sig === null ? msg.sigSkip : msg.sigBad;
    return { ok, text: (ok ? msg.ok : msg.bad) + " (" + sigText + ")" };
  }

  table.addEventListener("click", async (ev) => {
    const btn = ev.target.closest("button.check-proof");
    if (!btn) {
      return;
    }
    const row = btn.closest("tr");
    const out = row.querySelector("output.proof-result");
    btn.disabled = true;
    try {
      const res = await check(row, out);
      out.textContent = res.text;
      out.className = "proof-result " + (res.ok ? "proof-ok" : "proof-bad");
      out.dataset.verified = res.ok ? "true" : "false";
    } catch (e) {
      out.textContent = msg.bad;
      out.className = "proof-result proof-bad";
      out.dataset.verified = "false";
    } finally {
      btn.disabled = false;
    }
  });
})();
