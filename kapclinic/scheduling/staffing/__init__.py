"""When staff work (issue 13.5): their weekly working hours per clinic, their leave, and the
on-site prescriber coverage of each clinic day that follows from both."""
