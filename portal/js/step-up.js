// A change that needs a fresh EDS signature over it (a step-up), such as new payout details: the
// API's challenge holds the change itself as text, the person's key signs it through the signer, and
// the step-up token the registry answers goes with exactly that change as X-Step-Up.
import { api, post } from "./api.js";
import { signer } from "./signer.js";

export async function signedChange(method, path, body) {
  const challenge = await post(`${path}/challenge`, body);
  const signature = await signer().sign(challenge.data_base64);
  const confirmed = await post(`${path}/step-up`, { nonce: challenge.nonce, signature, details: body });
  return api(method, path, { body, headers: { "X-Step-Up": confirmed.step_up_token } });
}
