# dovecot-standby example: everything, except mail marked private, spam
# or virus-infected
#
# The MTA's filters mark their verdict in headers (SpamAssassin, rspamd:
# X-Spam-Flag / X-Spam-Status; ClamAV, amavis: X-Virus-Status). Private
# mail is recognised by a "privat"/"private" marker: the Sensitivity
# header that Outlook and Thunderbird set for "private", or the word in
# the subject ("[privat] ...").

require ["vnd.standby.mirror"];

if not anyof (header :is "x-spam-flag" "YES",
              header :matches "x-spam-status" "Yes*",
              header :matches "x-virus-status" ["Infected*", "Yes*"],
              header :is "sensitivity" ["private", "personal"],
              header :contains "subject" ["[privat]", "[private]",
                                          "(privat)", "(private)"]) {
    # No :mailbox: incoming mail goes to the standby's INBOX, sent mail
    # to its sent folder.
    mirror;
}
