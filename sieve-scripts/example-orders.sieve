# dovecot-standby example: orders arriving at an order address
#
# Orders from the web shop or a marketplace arrive at orders@example.com
# (an alias delivered to this user). They go into the standby folder
# "Orders", flagged with the keyword $Order, so that after a crash the
# order desk finds them in one place.
#
# The envelope recipient is the surest sign (the shop may send with the
# customer in To: and the order address in Bcc). Sent mail has no
# envelope, so the envelope test is guarded with `ihave': the rule set
# stays usable for both directions. The headers catch the rest.

require ["vnd.standby.mirror", "ihave"];

if ihave "envelope" {
    if envelope :all :is "to" ["orders@example.com", "shop@example.com"] {
        mirror :mailbox "Orders" :flags "$Order";
    }
}
if address :all :is ["to", "cc", "delivered-to", "x-original-to"]
        ["orders@example.com", "shop@example.com"] {
    mirror :mailbox "Orders" :flags "$Order";
}
