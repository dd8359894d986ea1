"""What persists between nights: the SQLite ledger (:mod:`.ledger`), the inbox scan against it
(:mod:`.inbox`), the run lock (:mod:`.lock`), the night's log (:mod:`.nightlog`), the site's
accounts (:mod:`.accounts`) and ``beian status`` (:mod:`.status`)."""
