"""Step-up: a fresh EDS signature over a change before it is made, so a stolen session cannot make
it. The registry gives a challenge whose text holds the change itself (canonical JSON), checks the
student's own signature over it and answers a step-up token bound to exactly that change; the
change's route then takes it in the X-Step-Up header (common.auth.check_step_up)."""
from common.auth import STEP_UP_HEADER, check_step_up, read_token, verifying_keys
from common.contracts.payments import PayoutDetailsIn
from common.contracts.registry import ChallengeOut, StepUpIn, StepUpOut
from common.validation import load
from gateway.http import bearer_token, route

PAYOUT_DETAILS = "payout-details"


def require_step_up(gateway, request, purpose, details):
    """Forbidden unless the request carries a step-up token for its caller and exactly `details`."""
    principal = read_token(verifying_keys(gateway.config), bearer_token(request))
    check_step_up(verifying_keys(gateway.config), request.headers.get(STEP_UP_HEADER), principal, purpose, details)


class StepUpRoutes:

    @route("POST", "/api/v1/me/payout-details/challenge", summary="The text to sign with EDS for new payout "
           "details: the details themselves, a nonce and the time (student)", tag="payments",
           body=PayoutDetailsIn, response=ChallengeOut, status=201, errors=(403,))
    def payout_details_challenge(self, request, body):
        return self.registry.create_step_up_challenge(PAYOUT_DETAILS, body)

    @route("POST", "/api/v1/me/payout-details/step-up", summary="Confirm new payout details with an EDS "
           "signature over the challenge's text; the answer goes with them as X-Step-Up (student)",
           tag="payments", body=StepUpIn, response=StepUpOut, errors=(401, 403))
    def payout_details_step_up(self, request, body):
        details = load(PayoutDetailsIn, body["details"])
        return self.registry.step_up(PAYOUT_DETAILS, {**body, "details": details})
