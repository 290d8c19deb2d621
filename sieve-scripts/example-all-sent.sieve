# dovecot-standby example: all sent mail (and no incoming mail)
#
# Every message a mail client saves into the \Sent mailbox (whatever its
# name: "Sent", "Sent Items", "Gesendet") is mirrored into the standby's
# sent folder: the one with SPECIAL-USE \Sent on the standby, else the
# folder named by standby_sent_mailbox. The copy keeps the message's
# \Seen flag and its INTERNALDATE.

require ["vnd.standby.mirror", "environment"];

if environment :is "vnd.standby.direction" "outgoing" {
    mirror;
}
