"""Pages: the auditors' workspace (`auditor`) and the suppliers' requests and notices
(`supplier`)."""
