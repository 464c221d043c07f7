"""Pages: browse and lot pages (`lots`), the supplier's actions on a lot (`supply`), the
auditors' rule-set editor (`rule_sets`)."""
