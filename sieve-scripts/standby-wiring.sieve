# dovecot-standby: wiring script (installed; do not edit, see README.md)
#
# Runs the user's relevance rules for the standby account, for delivered
# mail (as sieve_before of LMTP/LDA) and for sent mail (as imapsieve's
# imapsieve_mailbox1_before, when a client saves into the \Sent mailbox).
# One rule set serves both directions:
#
#  * the user's personal script named "standby" (uploaded through
#    ManageSieve; it need not be the active script), when it exists;
#  * else the admin's default rule set, the global script
#    "standby-default" (in the directory of the sieve_global setting).
#
# Only relevance decisions belong in "standby": tests and `mirror'. The
# user's ordinary filters live in the active script, which imapsieve never
# runs on sent mail.
#
# vnd.standby.rules ("personal" | "default") comes from the Sieve plugin
# sieve_standby and is known only to scripts that require
# vnd.standby.mirror. Both includes are :optional, so a missing default
# rule set (or an unset sieve_global) mirrors nothing instead of failing.

require ["include", "environment", "vnd.standby.mirror"];

if environment :is "vnd.standby.rules" "personal" {
    include :optional :personal "standby";
} else {
    include :optional :global "standby-default";
}
