"""SMS to citizens' phones: texts fitted to GSM-7/UCS-2 segments, SMPP 3.4 and Kannel-style HTTP
providers, weighted failover by health."""
