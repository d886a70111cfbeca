"""Vote integrity: a synthetic electorate, detectors of rule abuse and campaigns, and their effect.

Rule abuse (duplicate accounts, bots) is flagged with evidence for the producers to decide;
tactical voting by real, distinct voters (an all-but-one campaign) is reported, never flagged.
"""
