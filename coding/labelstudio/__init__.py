"""qualquant.coding.labelstudio: Label Studio round trip: the API client, the local server, export reading and predictions."""

from qualquant.coding.labelstudio._client import (  # noqa: F401
    LabelStudioClient,
    merge_predictions,
    PullResult,
    PushResult,
    read_export,
    task_data,
)
from qualquant.coding.labelstudio._export import (  # noqa: F401
    ANNOTATIONS_COLUMNS,
    ExportReadResult,
    ISSUES_COLUMNS,
    parse_export,
    read_users,
    users_path,
)
from qualquant.coding.labelstudio._predictions import (  # noqa: F401
    needs_predictions,
    prediction_dict,
    PREDICTION_FIELDS,
)
from qualquant.coding.labelstudio._server import (  # noqa: F401
    find_label_studio,
    LabelStudioServer,
    LabelStudioUser,
)

__all__ = [
    "ANNOTATIONS_COLUMNS",
    "ExportReadResult",
    "find_label_studio",
    "ISSUES_COLUMNS",
    "LabelStudioClient",
    "LabelStudioServer",
    "LabelStudioUser",
    "merge_predictions",
    "needs_predictions",
    "parse_export",
    "prediction_dict",
    "PREDICTION_FIELDS",
    "PullResult",
    "PushResult",
    "read_export",
    "read_users",
    "task_data",
    "users_path",
]
