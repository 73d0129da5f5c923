"""SQLModel tables, one module per part of the service. Every change here needs an Alembic
revision in storage/migrations. Importing this package registers every table."""

from storage.models.core import *  # noqa: F403
from storage.models.core import __all__ as _core
from storage.models.feedback import *  # noqa: F403
from storage.models.feedback import __all__ as _feedback
from storage.models.meetings import *  # noqa: F403
from storage.models.meetings import __all__ as _meetings
from storage.models.operations import *  # noqa: F403
from storage.models.operations import __all__ as _operations
from storage.models.privacy import *  # noqa: F403
from storage.models.privacy import __all__ as _privacy
from storage.models.reciprocity import *  # noqa: F403
from storage.models.reciprocity import __all__ as _reciprocity

__all__ = [*_core, *_feedback, *_meetings, *_operations, *_privacy, *_reciprocity]
