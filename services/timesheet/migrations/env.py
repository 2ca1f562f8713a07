from common.migrations import run_env
from services.timesheet.models import Base

run_env(Base.metadata)
