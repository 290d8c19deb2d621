# dovecot-standby: the admin's default rule set
#
# Used for every user without a personal script named "standby". Install
# it as "standby-default.sieve" in the directory named by the sieve_global
# setting (see conf.d/90-standby.conf), and adapt it to the company.
#
# This default keeps the business record complete without filling the
# standby with junk:
#  * all sent mail, into the standby's sent folder;
#  * all delivered mail except spam, virus-infected and private mail,
#    into the standby's INBOX.

require ["vnd.standby.mirror", "environment"];

if environment :is "vnd.standby.direction" "outgoing" {
    # No :mailbox: sent mail goes to the standby's \Sent folder (found by
    # SPECIAL-USE, else standby_sent_mailbox), with its \Seen flag.
    mirror;
} elsif not anyof (header :is "x-spam-flag" "YES",
                   header :matches "x-spam-status" "Yes*",
                   header :matches "x-virus-status" ["Infected*", "Yes*"],
                   header :is "sensitivity" ["private", "personal"]) {
    # Incoming, except what the MTA's filters marked as spam or virus
    # (SpamAssassin/rspamd: X-Spam-Flag, X-Spam-Status; ClamAV/amavis:
    # X-Virus-Status) and what the sender marked private (Sensitivity).
    mirror;
}
