// The EDS signer behind one interface: `await signer.sign(dataBase64)` answers a base64 CMS SignedData.
//
// In production it is NCALayer, the NCA RK's program on the person's computer, over its local
// WebSocket. Another signer (a different signing tool) plugs in with `useSigner`.

export const NCALAYER_URL = "wss://127.0.0.1:13579";
const NCALAYER_TIMEOUT_MS = 5 * 60 * 1000; // the person picks the key file and types its password

export class SignerError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class NCALayerSigner {
  constructor(url = NCALAYER_URL) {
    this.url = url;
    this.name = "NCALayer";
  }

  sign(dataBase64) {
    return new Promise((resolve, reject) => {
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch {
        reject(new SignerError("unavailable", "NCALayer"));
        return;
      }
      const timer = setTimeout(() => finish(new SignerError("timeout", "NCALayer")), NCALAYER_TIMEOUT_MS);
      const finish = (error, signature) => {
        clearTimeout(timer);
        socket.close();
        if (error) reject(error);
        else resolve(signature);
      };
      socket.onerror = () => finish(new SignerError("unavailable", "NCALayer"));
      socket.onopen = () => socket.send(JSON.stringify({
        module: "kz.gov.pki.knca.commonUtils",
        method: "createCMSSignatureFromBase64",
        // any key store the person chooses, a signing (not authentication) key, the data attached
        args: ["PKCS12", "SIGNATURE", dataBase64, true],
      }));
      socket.onmessage = (message) => {
        const answer = JSON.parse(message.data);
        if (answer.result && answer.result.version) return; // NCALayer greets with its version first
        if (String(answer.code) === "200" && answer.responseObject) finish(null, answer.responseObject);
        else finish(new SignerError(answer.message === "action.canceled" ? "cancelled" : "failed",
          answer.message || "NCALayer"));
      };
    });
  }
}

let current = new NCALayerSigner();

export function signer() {
  return current;
}

export function useSigner(candidate) {
  if (!candidate || typeof candidate.sign !== "function") throw new TypeError("a signer needs sign(dataBase64)");
  current = candidate;
}
