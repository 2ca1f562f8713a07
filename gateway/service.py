"""The gateway: HTTP under /api/v1, validated with the contracts, answered by the services over RPC.

It holds no business state. Each group of routes is a mixin in gateway/routes/.
"""
from nameko.dependency_providers import Config

from common.observability import Observability
from common.settings import SafeSettings
from gateway.routes.coverage import CoverageRoutes
from gateway.routes.credits import CreditsRoutes
from gateway.routes.demo import DemoRoutes
from gateway.routes.egov_mobile import EgovMobileRoutes
from gateway.routes.notifications import NotificationsRoutes
from gateway.routes.payments import PaymentsRoutes
from gateway.routes.placement import PlacementRoutes
from gateway.routes.portal import PortalRoutes
from gateway.routes.reference import ReferenceRoutes
from gateway.routes.registry import RegistryRoutes
from gateway.routes.step_up import StepUpRoutes
from gateway.routes.system import SystemRoutes
from gateway.routes.timesheet import TimesheetRoutes
from gateway.rpc import TimedRpc


class GatewayService(SystemRoutes, ReferenceRoutes, CreditsRoutes, RegistryRoutes, TimesheetRoutes, PaymentsRoutes,
                     NotificationsRoutes, CoverageRoutes, PlacementRoutes, PortalRoutes, StepUpRoutes, DemoRoutes,
                     EgovMobileRoutes):
    name = "gateway"

    config = Config()
    observability = Observability()
    safe_settings = SafeSettings()
    registry = TimedRpc("registry")
    placement = TimedRpc("placement")
    timesheet = TimedRpc("timesheet")
    payments = TimedRpc("payments")
    credits = TimedRpc("credits")
    notifications = TimedRpc("notifications")
    coverage = TimedRpc("coverage")
