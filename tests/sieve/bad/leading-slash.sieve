# expect: folder name begins with '/'
require "vnd.standby.mirror";
mirror :mailbox "/Orders";
