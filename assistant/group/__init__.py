"""The group scan (issue 12): a network's participants each score the report's themes, the facilitator
sees where the group agrees and where it is divided, and SLIM builds a session agenda from that.

``models`` (typed data) · ``store`` (scans, answers, agreements in the sessions database) · ``results``
(distribution, pattern, the anonymity rule) · ``catalog`` (tips, work forms: ``prompts/group/``) ·
``agenda`` (the deterministic agenda builder and its editing functions) · ``links`` (join and
facilitator addresses).
"""
