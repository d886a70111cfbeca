"""Rows of a vote log with one bad value each, the column at fault and what the error says:
every reader of the interchange format (docs/interfaces.md §2) names them alike."""

BAD_VALUES = [
    ("b3,2025-10-08T00:00:00,s34w04,v1,web,robert,10,,,,", "ts", "no offset"),
    ("b3,yesterday,s34w04,v1,web,robert,10,,,,", "ts", "ISO 8601"),
    ("b3,,s34w04,v1,web,robert,10,,,,", "ts", "empty"),
    ("b3,2025-10-08T00:00:00Z,s34w04,v1,fax,robert,10,,,,", "channel", "web or sms"),
    ("b3,2025-10-08T00:00:00Z,s34w04,v1,web,robert,11,,,,", "votes", "0 to 10"),
    # 0 on a web row is a withdrawal (the voter's saved votes taken back); a text is a vote.
    ("b3,2025-10-08T00:00:00Z,s34w04,v1,sms,robert,0,,,,", "votes", "1 to 10"),
    ("b3,2025-10-08T00:00:00Z,s34w04,v1,web,robert,many,,,,", "votes", "to 10"),
    ("b3,2025-10-08T00:00:00Z,s34w04,,web,robert,1,,,,", "voter", "empty"),
    ("b3,2025-10-08T00:00:00Z,s34w04, ,web,robert,1,,,,", "voter", "empty"),
    ("b3,2025-10-08T00:00:00Z,s34w04,v1,web,,1,,,,", "couple", "empty"),
]
