"""Transfers of suspected crimes (涉嫌犯罪案件移送, 国务院令第310号): their workflow and writes."""
