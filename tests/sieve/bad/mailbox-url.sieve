# expect: folder name has an empty level
require "vnd.standby.mirror";
mirror :mailbox "imaps://evil.example:993/INBOX";
