"""The field's defaults for plan tiers and SLA policies, as plain data.

The data migration creates them on a new install (``migrations/0002_defaults``) and the
demo makes sure they are there; leads change them afterwards. Pure data: no Django models.

Tiers follow Automattic's field report: free → knowledge base and community forum only;
paid → + email and web form; premium → + live chat; enterprise → + video call. Free has no
SLA policy (community support). Targets are in minutes per priority (4 urgent … 1 low),
counted in business hours of the follow-the-sun coverage unless marked calendar hours.
"""

from __future__ import annotations

H = 60  # minutes in an hour

PLAN_CHANNELS: dict[str, list[str]] = {
    "free": ["kb", "forum"],
    "paid": ["kb", "forum", "email", "web"],
    "premium": ["kb", "forum", "email", "web", "chat"],
    "enterprise": ["kb", "forum", "email", "web", "chat", "video"],
}

# policy name -> plan, description, {metric: {priority: minutes}}, calendar-hours metrics
# per priority, escalations (trigger, metric, action)
DEFAULT_POLICIES: list[dict] = [
    {
        "name": "Standard",
        "plan": "paid",
        "description": "Paid plans: email and web form, answered within business hours.",
        "targets": {
            "first_reply": {4: 2 * H, 3: 4 * H, 2: 8 * H, 1: 24 * H},
            "next_reply": {4: 2 * H, 3: 4 * H, 2: 8 * H, 1: 24 * H},
            "resolution": {4: 24 * H, 3: 48 * H, 2: 72 * H, 1: 120 * H},
        },
        "calendar_hours": {},
        "escalations": [("warning", "", "notify_lead")],
    },
    {
        "name": "Premium",
        "plan": "premium",
        "description": "Premium plans: faster replies, and updates while we work on it.",
        "targets": {
            "first_reply": {4: 1 * H, 3: 2 * H, 2: 4 * H, 1: 8 * H},
            "next_reply": {4: 1 * H, 3: 2 * H, 2: 4 * H, 1: 8 * H},
            "periodic_update": {4: 8 * H, 3: 24 * H, 2: 24 * H, 1: 48 * H},
            "resolution": {4: 12 * H, 3: 24 * H, 2: 48 * H, 1: 72 * H},
        },
        "calendar_hours": {},
        "escalations": [("warning", "", "notify_lead"), ("breach", "", "reassign_team")],
    },
    {
        "name": "Enterprise",
        "plan": "enterprise",
        "description": "Enterprise plans: urgent conversations count every hour, day and "
                       "night; a missed target goes to the team on shift at a higher "
                       "priority.",
        "targets": {
            "first_reply": {4: 30, 3: 1 * H, 2: 2 * H, 1: 4 * H},
            "next_reply": {4: 30, 3: 1 * H, 2: 2 * H, 1: 4 * H},
            "periodic_update": {4: 4 * H, 3: 8 * H, 2: 24 * H, 1: 24 * H},
            "resolution": {4: 8 * H, 3: 12 * H, 2: 24 * H, 1: 48 * H},
        },
        "calendar_hours": {4: ["first_reply", "next_reply", "periodic_update", "resolution"]},
        "escalations": [("warning", "", "notify_lead"), ("breach", "", "reassign_team"),
                        ("breach", "", "raise_priority")],
    },
]


def install(apps) -> None:
    """Create the tiers and policies that are missing (by plan, by policy name); leave
    existing ones as they are. ``apps`` is a migration's app registry or ``django.apps``."""
    tier_model = apps.get_model("sla", "PlanTier")
    policy_model = apps.get_model("sla", "SlaPolicy")
    target_model = apps.get_model("sla", "SlaTarget")
    escalation_model = apps.get_model("sla", "SlaEscalation")
    policies = {}
    for spec in DEFAULT_POLICIES:
        policy, created = policy_model.objects.get_or_create(
            name=spec["name"], defaults={"description": spec["description"]})
        policies[spec["plan"]] = policy
        if not created:
            continue
        calendar_hours = spec["calendar_hours"]
        target_model.objects.bulk_create([
            target_model(policy=policy, metric=metric, priority=priority, minutes=minutes,
                         business_hours=metric not in calendar_hours.get(priority, ()))
            for metric, by_priority in spec["targets"].items()
            for priority, minutes in by_priority.items()
        ])
        escalation_model.objects.bulk_create([
            escalation_model(policy=policy, trigger=trigger, metric=metric, action=action)
            for trigger, metric, action in spec["escalations"]
        ])
    for plan, channels in PLAN_CHANNELS.items():
        tier_model.objects.get_or_create(
            plan=plan, defaults={"channels": channels, "sla_policy": policies.get(plan)})
