# dovecot-standby example: quotes, invoices and order confirmations by
# subject words, German and English, in both directions
#
# Incoming and sent documents of the same kind land in the same standby
# folder, so a quote and the reply to it are found together. Two mirror
# actions for the same folder make one copy.

require ["vnd.standby.mirror"];

# quotes / offers
if header :contains "subject" ["Angebot", "quote", "quotation", "offer"] {
    mirror :mailbox "Business/Quotes";
}
# invoices and credit notes
if header :contains "subject" ["Rechnung", "Gutschrift", "invoice",
                               "credit note"] {
    mirror :mailbox "Business/Invoices" :flags "$Invoice";
}
# orders, order confirmations, delivery notes
if header :contains "subject" ["Bestellung", "Auftrag",
                               "Auftragsbestätigung", "Lieferschein",
                               "order", "purchase order",
                               "delivery note"] {
    mirror :mailbox "Business/Orders";
}
