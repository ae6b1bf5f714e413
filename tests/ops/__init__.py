"""Operations and reliability (issue 8): systemd, keys, check, download, metrics, security, bad input."""
