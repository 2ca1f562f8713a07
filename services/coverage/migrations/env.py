from common.migrations import run_env
from services.coverage.models import Base

run_env(Base.metadata)
