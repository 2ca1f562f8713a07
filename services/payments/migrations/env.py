from common.migrations import run_env
from services.payments.models import Base

run_env(Base.metadata)
