#!/usr/bin/python3
'''Drives the dbusmock NetworkManager (nm_template.py) as NM would (DBUS_SYSTEM_BUS_ADDRESS set).

  mockctl.py populate                      eth0 + dsl0 devices (DISCONNECTED); profiles
                                           veth-wired (ethernet), dsl (pppoe on dsl0), office-vpn
  mockctl.py dev IFACE NEW REASON [...]    device states, each: State, StateReason, StateChanged
  mockctl.py ac AC STATE REASON            active connection: State + StateChanged(state, reason)
  mockctl.py vpn AC STATE REASON           VPN: VpnState + VpnStateChanged(state, reason)
  mockctl.py late PROFILE IFACE           someone else activates PROFILE on IFACE, as a busy client
                                           sees it: the device's State already says ACTIVATED when
                                           the activation is announced, and the StateChanged signals
                                           of the way there (40 50 60 70 100) are still to come
  mockctl.py secrets PID PROFILE SETTING FLAGS
                                           NM calls GetSecrets on the agent of process PID (from
                                           the mock's own connection, NM's unique name) and this
                                           prints the answer (blocks until it comes)
  mockctl.py intrude PID PROFILE SETTING FLAGS
                                           the same call made by this process, not by NM: what a
                                           secret agent must refuse
  mockctl.py allow [ACTION...]             polkitd mock: set the allowed actions
  mockctl.py auto                          from now on an activation of a device profile walks
                                           to ACTIVATED by itself (40 50 70 100, then the active
                                           connection's ACTIVATED), as NM would
'''
import sys

import dbus

NM = 'org.freedesktop.NetworkManager'
DEV = NM + '.Device'
AC = NM + '.Connection.Active'
bus = dbus.SystemBus()


def obj(path, name=NM):
    return bus.get_object(name, path)


def mock(path='/org/freedesktop/NetworkManager'):
    return dbus.Interface(obj(path), 'org.freedesktop.DBus.Mock')


def device(iface):
    for d in dbus.Interface(obj('/org/freedesktop/NetworkManager'), NM).GetDevices():
        if obj(d).Get(DEV, 'Interface', dbus_interface=dbus.PROPERTIES_IFACE) == iface:
            return d
    sys.exit('no device ' + iface)


def profile(name):
    settings = dbus.Interface(obj('/org/freedesktop/NetworkManager/Settings'), NM + '.Settings')
    for p in settings.ListConnections():
        if dbus.Interface(obj(p), NM + '.Settings.Connection').GetSettings()['connection']['id'] == name:
            return p
    sys.exit('no profile ' + name)


def add_profile(settings):
    s = dbus.Interface(obj('/org/freedesktop/NetworkManager/Settings'), NM + '.Settings')
    return s.AddConnection(dbus.Dictionary({k: dbus.Dictionary(v, signature='sv') for k, v in settings.items()},
                                           signature='sa{sv}'))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'populate':
        m = mock()
        m.AddEthernetDevice('eth0', 'eth0', 30)
        m.AddEthernetDevice('dsl0', 'dsl0', 30)
        add_profile({'connection': {'id': 'veth-wired', 'type': '802-3-ethernet', 'interface-name': 'eth0',
                                    'uuid': '11111111-0000-0000-0000-000000000001'}})
        add_profile({'connection': {'id': 'dsl', 'type': 'pppoe', 'interface-name': 'dsl0',
                                    'uuid': '11111111-0000-0000-0000-000000000002'},
                     'pppoe': {'username': 'alice'}})
        add_profile({'connection': {'id': 'office-vpn', 'type': 'vpn',
                                    'uuid': '11111111-0000-0000-0000-000000000003'},
                     'vpn': {'service-type': 'org.freedesktop.NetworkManager.openvpn'}})
    elif cmd == 'dev':
        path = device(args[0])
        o = obj(path)
        m = dbus.Interface(o, 'org.freedesktop.DBus.Mock')
        rest = args[1:]
        for i in range(0, len(rest), 2):
            new, reason = dbus.UInt32(int(rest[i])), dbus.UInt32(int(rest[i + 1]))
            old = o.Get(DEV, 'State', dbus_interface=dbus.PROPERTIES_IFACE)
            o.Set(DEV, 'State', new, dbus_interface=dbus.PROPERTIES_IFACE)
            o.Set(DEV, 'StateReason', dbus.Struct((new, reason), signature='uu'), dbus_interface=dbus.PROPERTIES_IFACE)
            m.EmitSignal(DEV, 'StateChanged', 'uuu', [new, dbus.UInt32(old), reason])
    elif cmd in ('ac', 'vpn'):
        o = obj(args[0])
        iface, prop, sig = (AC, 'State', 'StateChanged') if cmd == 'ac' else (NM + '.VPN.Connection', 'VpnState', 'VpnStateChanged')
        state, reason = dbus.UInt32(int(args[1])), dbus.UInt32(int(args[2]))
        o.Set(iface, prop, state, dbus_interface=dbus.PROPERTIES_IFACE)
        dbus.Interface(o, 'org.freedesktop.DBus.Mock').EmitSignal(iface, sig, 'uu', [state, reason])
    elif cmd == 'late':
        conn, path = profile(args[0]), device(args[1])
        o = obj(path)
        m = dbus.Interface(o, 'org.freedesktop.DBus.Mock')
        old = o.Get(DEV, 'State', dbus_interface=dbus.PROPERTIES_IFACE)
        o.Set(DEV, 'State', dbus.UInt32(100), dbus_interface=dbus.PROPERTIES_IFACE)
        ac = dbus.Interface(obj('/org/freedesktop/NetworkManager'), NM).ActivateConnection(
            conn, dbus.ObjectPath(path), dbus.ObjectPath('/'))
        for new in (40, 50, 60, 70, 100):
            m.EmitSignal(DEV, 'StateChanged', 'uuu', [dbus.UInt32(new), dbus.UInt32(old), dbus.UInt32(0)])
            old = new
        a = obj(ac)
        a.Set(AC, 'State', dbus.UInt32(2), dbus_interface=dbus.PROPERTIES_IFACE)
        dbus.Interface(a, 'org.freedesktop.DBus.Mock').EmitSignal(AC, 'StateChanged', 'uu',
                                                                   [dbus.UInt32(2), dbus.UInt32(0)])
    elif cmd in ('secrets', 'intrude'):
        pid, prof, setting, flags = int(args[0]), profile(args[1]), args[2], int(args[3])
        dbus_obj = dbus.Interface(obj('/org/freedesktop/DBus', 'org.freedesktop.DBus'), 'org.freedesktop.DBus')
        agent = None
        for name in dbus_obj.ListNames():
            if name.startswith(':') and dbus_obj.GetConnectionUnixProcessID(name) == pid:
                agent = name
        if agent is None:
            sys.exit('no agent for pid %d' % pid)
        try:
            if cmd == 'secrets':
                answer = obj('/org/freedesktop/NetworkManager').AskSecrets(
                    agent, dbus.ObjectPath(prof), setting, dbus.UInt32(flags), dbus_interface='org.dialkit.Test',
                    timeout=120)
            else:
                conn = dbus.Interface(obj(prof), NM + '.Settings.Connection').GetSettings()
                answer = bus.get_object(agent, '/org/freedesktop/NetworkManager/SecretAgent').GetSecrets(
                    conn, dbus.ObjectPath(prof), setting, dbus.Array([], signature='s'), dbus.UInt32(flags),
                    dbus_interface=NM + '.SecretAgent', timeout=120)
            for s, values in answer.items():
                for k, v in values.items():
                    print('%s.%s=%s' % (s, k, dict(v) if isinstance(v, dbus.Dictionary) else v))
        except dbus.exceptions.DBusException as e:
            print('error ' + e.get_dbus_name())
    elif cmd == 'auto':
        mock().AddProperty('org.dialkit.Test', 'Auto', dbus.Boolean(True))
    elif cmd == 'allow':
        dbus.Interface(obj('/org/freedesktop/PolicyKit1/Authority', 'org.freedesktop.PolicyKit1'),
                       'org.freedesktop.DBus.Mock').SetAllowed(dbus.Array(args, signature='s'))
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
