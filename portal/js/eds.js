// What every EDS request body carries: a fresh challenge from the API, its data signed by the person's key.
import { post } from "./api.js";
import { t } from "./i18n.js";
import { SignerError, signer } from "./signer.js";

// purpose: "person" (sign-in, registration) or "organisation" (an organisation's application).
// agreementLanguage ("ru" or "kk"): the person signs the accession agreement, the nonce inside, to join.
export async function signedChallenge(purpose, agreementLanguage) {
  const query = agreementLanguage ? `?agreement_language=${agreementLanguage}` : "";
  const challenge = await post(`/auth/challenge${query}`);
  const signature = await signed(challenge.data_base64, purpose, challenge.accepts_test_keys === true);
  const agreement = agreementLanguage
    ? { agreement_version: challenge.agreement_version, agreement_language: challenge.agreement_language } : {};
  return { nonce: challenge.nonce, signature, ...agreement };
}

// A document's bytes (a completion report's PDF) signed by an organisation's key, the document inside the CMS.
export async function signedDocument(bytes, testKeys) {
  let binary = "";
  new Uint8Array(bytes).forEach((byte) => { binary += String.fromCharCode(byte); });
  return signed(btoa(binary), "organisation", testKeys);
}

async function signed(dataBase64, purpose, testKeys) {
  try {
    return await signer().sign(dataBase64, { purpose, testKeys });
  } catch (error) {
    if (!(error instanceof SignerError)) throw error;
    const key = `signer.${error.code}`;
    const words = t(key) === key ? error.message : t(key);
    throw new Error(error.detail ? `${words.replace(/\.$/, "")} (${error.detail}).` : words);
  }
}
