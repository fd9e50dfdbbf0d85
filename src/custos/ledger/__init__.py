"""The tamper-evident ledger: every act of custos, accounted for and provable offline."""
