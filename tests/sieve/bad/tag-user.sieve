# expect: unknown tagged argument ':user' for the mirror command
require "vnd.standby.mirror";
mirror :mailbox "INBOX" :user "bob@evil.example";
