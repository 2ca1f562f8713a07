from common.migrations import run_env
from services.placement.models import Base

run_env(Base.metadata)
