"""qualquant.coding.labelstudio: Label Studio round trip.

The API client, the local server, export reading and predictions.
"""

from qualquant.coding.labelstudio._client import (
    LabelStudioClient,
    PullResult,
    PushResult,
    merge_predictions,
    read_export,
    task_data,
)
from qualquant.coding.labelstudio._export import (
    ANNOTATIONS_COLUMNS,
    ISSUES_COLUMNS,
    ExportReadResult,
    parse_export,
    read_users,
    users_path,
)
from qualquant.coding.labelstudio._predictions import (
    PREDICTION_FIELDS,
    needs_predictions,
    prediction_dict,
)
from qualquant.coding.labelstudio._server import (
    LabelStudioServer,
    LabelStudioUser,
    count_users,
    find_label_studio,
    token_accepted,
)

__all__ = [
    "ANNOTATIONS_COLUMNS",
    "count_users",
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
    "token_accepted",
    "PREDICTION_FIELDS",
    "PullResult",
    "PushResult",
    "read_export",
    "read_users",
    "task_data",
    "users_path",
]
