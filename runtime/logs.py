"""One log format for the worker and the API processes.

`LOG_FORMAT=json` (the default) writes one JSON object per line, with the ids an operator
searches by (`customer_id`, `white_label_id`, `workflow_id`, ...) as fields of their own;
`text` is for reading in a terminal (`make run`). Log calls pass ids only, never contact data,
and the access log never prints query strings, so neither format can carry a token or PII.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from temporalio import activity, workflow

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Ids passed as `extra=` by the service's own log calls.
ID_FIELDS = ("customer_id", "white_label_id", "kind", "payment_intent_id", "event_id")
# What Temporal's loggers attach about the running activity or workflow.
TEMPORAL_FIELDS = ("workflow_id", "workflow_type", "run_id", "activity_type", "attempt")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for source in ("temporal_activity", "temporal_workflow"):
            context = getattr(record, source, None)
            if isinstance(context, dict):
                line.update({key: context[key] for key in TEMPORAL_FIELDS if key in context})
        line.update({key: getattr(record, key) for key in ID_FIELDS if hasattr(record, key)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(
    log_format: Literal["json", "text"] = "json", level: int = logging.INFO
) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLines())
        # The ids travel as fields; Temporal need not repeat them inside the message.
        activity.logger.activity_info_on_message = False
        workflow.logger.workflow_info_on_message = False
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
