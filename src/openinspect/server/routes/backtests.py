"""Backtesting a candidate model version on the archived captures and labelled images before deploying it."""

from __future__ import annotations

from fastapi import APIRouter

from openinspect.server.deps import BacktestsDep, Engineer, Operator
from openinspect.server.errors import ERROR_RESPONSES, ErrorPublic
from openinspect.server.schemas import BacktestCreate, BacktestPublic
from openinspect.training.backtest import Backtest

router = APIRouter(prefix="/recipes/{name}/types/{type_name}/backtests", tags=["models"],
                   responses={**ERROR_RESPONSES, 409: {"model": ErrorPublic, "description": "the candidate does not "
                                                       "fit the recipe, or the type has no deployed version"}})


@router.post("", status_code=202)
def start(name: str, type_name: str, body: BacktestCreate, backtests: BacktestsDep, caller: Engineer) -> BacktestPublic:
    """Re-judge the recipe's archived captures and the type's labelled images with a candidate and the deployed version.

    Runs in the background at a lower priority than the station's triggers (one at a time; 503 while one runs);
    progress is pushed on the WebSocket as ``{"event": "backtest"}``. 409 when the candidate was trained for other
    classes than the recipe lists, 404 for an unknown version.
    """
    request = Backtest(name, type_name, body.candidate, body.since, body.limit)
    return BacktestPublic.of(backtests.start(request, actor=caller.name))


@router.get("/latest")
def latest(name: str, type_name: str, backtests: BacktestsDep, _role: Operator) -> BacktestPublic:
    """The type's running or last backtest; its ``report`` once done: verdicts that would change, label agreement."""
    return BacktestPublic.of(backtests.latest(name, type_name))
