"""What a restore must bring back, as plain data: run in the test process (the source) and in a
subprocess against the restored database and stores (tests/ops/test_backup.py). No pytest import here:
the subprocess must load the settings as a server does."""

import hashlib


def _sha(field):
    if not field:
        return None
    with field.open("rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot():
    from messages.models import Message, MessageEvent, Rating, Support
    from stats.models import DailyCount, RollupState

    messages = []
    for m in Message.objects.order_by("pk"):
        messages.append(
            {
                "number": m.number,
                "state": m.state,
                "text": m.text,
                "address": m.address,
                "category": m.category.key,
                "author": m.author.email if m.author_id else None,
                "organization": m.executing_organization_id,
                "support_count": m.support_count,
                "photos": [
                    [str(p.token), _sha(p.image), _sha(p.thumbnail), p.width, p.height]
                    for p in m.photos.order_by("position", "pk")
                ],
                "answers": [
                    {
                        "kind": a.kind,
                        "text": a.text,
                        "author": a.author.user.email,
                        "attachments": [
                            [_sha(x.image), _sha(x.thumbnail)] for x in a.attachments.order_by("position")
                        ],
                        "documents": [[_sha(d.file), d.pages] for d in a.documents.order_by("position")],
                    }
                    for a in m.answers.order_by("pk")
                ],
                "events": list(
                    MessageEvent.objects.filter(message=m).order_by("pk").values_list("kind", "to_state")
                ),
            }
        )
    return {
        "messages": messages,
        "ratings": list(Rating.objects.order_by("pk").values_list("message__number", "positive", "remarks")),
        "supports": Support.objects.count(),
        "daily_counts": sorted(
            (
                [str(day), c, o, metric, key, n]
                for day, c, o, metric, key, n in DailyCount.objects.values_list(
                    "day", "category_id", "organization_id", "metric", "key", "count"
                )
            ),
            key=repr,
        ),
        "rollup_refreshed": str(RollupState.objects.get().refreshed_at),
    }


if __name__ == "__main__":
    import json

    import django

    django.setup()
    print(json.dumps(snapshot(), ensure_ascii=False))
