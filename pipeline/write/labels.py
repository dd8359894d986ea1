"""The words every output uses for a disposition, a file's status and a bureau that could not be
identified: the workbook, the 回执, the CSV labels, the terminal, ``beian status`` and the site say
them the same way."""

DISPOSITION_LABELS = {
    "accepted": "受理",
    "rejected": "未通过",
    "duplicate_prior": "往批已备案",
    "duplicate_batch": "本批重复",
}
STATUS_LABELS = {
    "live": "已采用",
    "superseded": "已被新文件替换",
    "rejected": "文件未通过",
    "deferred": "暂缓（文件可能仍在复制，下次汇总再读）",
    "ignored": "已忽略",
    "annex1": "附件1",
    "annex2": "附件2",
    "archive": "压缩包（已解开）",
}
WAITING = "等待下次汇总"
"""A bureau whose file is still being copied (deferred): it waits for the next night and is
not asked to resend (SPEC §12)."""
NO_ZONE = "不在国家高新区"
UNKNOWN_BUREAU = "未识别单位"
"""How every output names the bureau of a file no registered bureau could be matched to:
report, status, receipts (their names and overview) and the CLI say it the same way."""
LEGACY_UNKNOWN_BUREAU = "（无法确定）"
"""The same in ledgers written before the wording was unified; status reads it as UNKNOWN_BUREAU."""
