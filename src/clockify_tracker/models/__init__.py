"""Every ORM model, imported here so Alembic and the app see the whole schema."""

from clockify_tracker.models.account import Account
from clockify_tracker.models.automation import Automation
from clockify_tracker.models.automation_run import AutomationRun
from clockify_tracker.models.base import Base
from clockify_tracker.models.binnacle_entry import BinnacleEntry
from clockify_tracker.models.clockify_event import ClockifyEvent
from clockify_tracker.models.clockify_session import ClockifySession
from clockify_tracker.models.clockify_user import ClockifyUser
from clockify_tracker.models.clockify_user_change import ClockifyUserChange, UserChangeEvent
from clockify_tracker.models.clockify_workspace import ClockifyWorkspace
from clockify_tracker.models.email_message import EmailMessage
from clockify_tracker.models.error_log import ErrorLog
from clockify_tracker.models.membership import Membership, Role
from clockify_tracker.models.membership_event import MembershipAction, MembershipEvent
from clockify_tracker.models.notification import Notification
from clockify_tracker.models.organization import Organization
from clockify_tracker.models.outbox import OutboxMessage, OutboxStatus
from clockify_tracker.models.platform_flag import PlatformFlag
from clockify_tracker.models.refresh_token import RefreshToken
from clockify_tracker.models.report_job import ReportJob
from clockify_tracker.models.stored_file import StoredFile

__all__ = [
    "Account",
    "Automation",
    "AutomationRun",
    "Base",
    "BinnacleEntry",
    "ClockifyEvent",
    "ClockifySession",
    "ClockifyUser",
    "ClockifyUserChange",
    "ClockifyWorkspace",
    "EmailMessage",
    "ErrorLog",
    "Membership",
    "MembershipAction",
    "MembershipEvent",
    "Notification",
    "Organization",
    "OutboxMessage",
    "OutboxStatus",
    "PlatformFlag",
    "RefreshToken",
    "ReportJob",
    "Role",
    "StoredFile",
    "UserChangeEvent",
]
