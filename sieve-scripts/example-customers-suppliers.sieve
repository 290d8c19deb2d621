# dovecot-standby example: everything to and from customers and suppliers
#
# Upload as the personal script "standby" (ManageSieve: PUTSCRIPT
# "standby"; it need not be active), after putting your own domains in
# the lists below.
#
# Incoming mail matches on From/Sender/Reply-To, sent mail on the
# recipients (To/Cc/Bcc as saved by the mail client). Headers, not the
# envelope: sent mail has no envelope.

require ["vnd.standby.mirror", "environment"];

if environment :is "vnd.standby.direction" "outgoing" {
    # sent to a customer or supplier: into the standby's sent folder
    if address :domain :is ["to", "cc", "bcc"]
            ["customer.example", "bigclient.example",
             "supplier.example", "parts-supplier.example"] {
        mirror;
    }
} else {
    if address :domain :is ["from", "sender", "reply-to"]
            ["customer.example", "bigclient.example"] {
        mirror :mailbox "Customers";
    }
    if address :domain :is ["from", "sender", "reply-to"]
            ["supplier.example", "parts-supplier.example"] {
        mirror :mailbox "Suppliers";
    }
}
