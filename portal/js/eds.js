// What every EDS request body carries: a fresh challenge from the API, its data signed by the person's key.
import { post } from "./api.js";
import { t } from "./i18n.js";
import { SignerError, signer } from "./signer.js";

// purpose: "person" (sign-in, registration) or "organisation" (an organisation's application).
export async function signedChallenge(purpose) {
  const challenge = await post("/auth/challenge");
  let signature;
  try {
    signature = await signer().sign(challenge.data_base64,
      { purpose, testKeys: challenge.accepts_test_keys === true });
  } catch (error) {
    if (!(error instanceof SignerError)) throw error;
    const key = `signer.${error.code}`;
    const words = t(key) === key ? error.message : t(key);
    throw new Error(error.detail ? `${words.replace(/\.$/, "")} (${error.detail}).` : words);
  }
  return { nonce: challenge.nonce, signature };
}
