// The EDS signer behind one interface:
//   `await signer().sign(dataBase64, { purpose: "person" | "organisation", testKeys })` answers the base64
//   of a DER/BER CMS SignedData that carries the data.
//
// In production it is NCALayer, the NCA RK's program on the person's computer, over its local WebSocket,
// through its module `kz.gov.pki.knca.basics`. Another signer (a different signing tool) plugs in with
// `useSigner`.
import { lang } from "./i18n.js";

export const NCALAYER_URL = "wss://127.0.0.1:13579";
const NCALAYER_TIMEOUT_MS = 5 * 60 * 1000; // the person picks the key and types its password
const HEARTBEAT = "--heartbeat--"; // NCALayer keeps the connection alive with it, and with `{}`

// Which keys NCALayer offers, by the extended key usage NCA RK writes in each certificate. NCALayer's public
// clients list OIDs that a certificate must carry all of, so a purpose names the one OID all its keys share:
// an individual's key for a person; any legal-entity key for an organisation's application (the registry
// then accepts only the first head's or an employee's with signing right, of the application's BIN).
export const KEY_USAGES = {
  person: ["1.2.398.3.3.4.1.1"],
  organisation: ["1.2.398.3.3.4.1.2"],
};

export class SignerError extends Error {
  // code: unavailable | cancelled | refused | unexpected | timeout (a message in each language: `signer.<code>`)
  constructor(code, detail = "") {
    super(detail || code);
    this.code = code;
    this.detail = detail;
  }
}

// The `basics.sign` request: the data attached to the CMS, signed as given (not a digest). `chain: []`
// lets NCALayer offer keys of test CAs too; without it NCALayer offers keys of NCA RK's production CAs only.
export function signRequest(dataBase64, { purpose = "person", testKeys = false, locale = "ru" } = {}) {
  const extKeyUsageOids = KEY_USAGES[purpose];
  if (!extKeyUsageOids) throw new TypeError(`unknown signing purpose: ${purpose}`);
  const signerParams = { extKeyUsageOids };
  if (testKeys) signerParams.chain = [];
  return {
    module: "kz.gov.pki.knca.basics",
    method: "sign",
    args: {
      format: "cms",
      data: dataBase64,
      signingParams: { decode: true, encapsulate: true, digested: false },
      signerParams,
      locale,
    },
  };
}

// The CMS in an answer to `basics.sign`, PEM armour and line breaks removed; or the SignerError it means.
export function signatureFrom(answer) {
  if (!answer || typeof answer !== "object" || !("status" in answer)) {
    // e.g. an NCALayer without the module: {"success": false, "errorCode": "MODULE_NOT_FOUND"}
    throw new SignerError("unexpected", (answer && (answer.errorCode || answer.message)) || JSON.stringify(answer));
  }
  if (answer.status !== true) {
    throw new SignerError("refused", [answer.code, answer.message].filter(Boolean).join(": "));
  }
  const body = answer.body || {};
  if (!("result" in body)) throw new SignerError("cancelled"); // the person closed NCALayer's dialog
  const cms = Array.isArray(body.result) ? body.result[0] : body.result;
  if (typeof cms !== "string" || !cms.trim()) throw new SignerError("unexpected", JSON.stringify(answer));
  return cms.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, "").replace(/\s+/g, "");
}

export class NCALayerSigner {
  constructor(url = NCALAYER_URL) {
    this.url = url;
    this.name = "NCALayer";
  }

  // NCALayer greets each connection with its version; the request goes after the greeting.
  sign(dataBase64, { purpose = "person", testKeys = false } = {}) {
    const request = signRequest(dataBase64, { purpose, testKeys, locale: lang() });
    return new Promise((resolve, reject) => {
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch {
        reject(new SignerError("unavailable"));
        return;
      }
      let greeted = false;
      let done = false;
      const finish = (error, signature) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.close();
        if (error) reject(error);
        else resolve(signature);
      };
      const timer = setTimeout(() => finish(new SignerError("timeout")), NCALAYER_TIMEOUT_MS);
      // Refused, closed or gone before it greeted: NCALayer is not running (or not reachable here).
      socket.onerror = () => finish(new SignerError(greeted ? "unexpected" : "unavailable"));
      socket.onclose = () => finish(new SignerError(greeted ? "unexpected" : "unavailable"));
      socket.onmessage = (message) => {
        if (message.data === HEARTBEAT) return;
        let answer;
        try {
          answer = JSON.parse(message.data);
        } catch {
          finish(new SignerError("unexpected", String(message.data).slice(0, 200)));
          return;
        }
        if (answer && typeof answer === "object" && !Object.keys(answer).length) return; // `{}`: keep-alive
        if (!greeted && answer && answer.result && answer.result.version) {
          greeted = true;
          socket.send(JSON.stringify(request));
          return;
        }
        try {
          finish(null, signatureFrom(answer));
        } catch (error) {
          finish(error);
        }
      };
    });
  }
}

let current = new NCALayerSigner();

export function signer() {
  return current;
}

export function useSigner(candidate) {
  if (!candidate || typeof candidate.sign !== "function") {
    throw new TypeError("a signer needs sign(dataBase64, {purpose, testKeys})");
  }
  current = candidate;
}
