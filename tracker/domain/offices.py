"""Which offices may receive and decide a service's cases."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DomainError
from .states import HandlingMode
from .text import N_


class OfficeChoiceError(DomainError):
    code = "office_choice"


@dataclass(frozen=True)
class OfficeFacts:
    id: int
    department_code: str
    region_code: str


def check_office_choice(
    *,
    mode: HandlingMode,
    service_department: str,
    competent_department: str,
    receiving_policy: str,
    receiving: OfficeFacts,
    competent: OfficeFacts,
) -> None:
    """Refuse an impossible pair of receiving and competent offices, saying why."""
    if competent.department_code != competent_department:
        raise OfficeChoiceError(N_("所选办理地部门不主管该事项，请选择对应部门"))
    if receiving.department_code not in (service_department, competent_department):
        raise OfficeChoiceError(N_("所选收件部门不受理该事项，请选择对应部门"))
    if (mode is HandlingMode.FULLY_ONLINE or receiving_policy == "competent") and (
        receiving.id != competent.id
    ):
        raise OfficeChoiceError(N_("该事项由办理地部门直接受理，收件地须与办理地相同"))
    if mode is HandlingMode.JOINT and receiving.id != competent.id:
        # The lead office (e.g. the transfer-in centre) receives and decides; the others get
        # sub-tasks. There is no forwarding in joint handling.
        raise OfficeChoiceError(
            N_("多地联办事项由牵头受理部门（如转入地）直接受理，收件部门须与受理部门相同")
        )
