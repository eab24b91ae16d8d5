"""The penalty procedure (行政处罚程序): the case workflow, its statutory periods and its writes. The lowest
enforcement sub-domain: payments, transfers, disclosure and evidence build on it, never the reverse."""
