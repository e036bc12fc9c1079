'''python-dbusmock template: the stock "networkmanager" template plus what dialkit's tests need
from NetworkManager that the stock one lacks (see notes/networkmanager.md): an AgentManager,
an ActivateConnection that starts in ACTIVATING (the harness drives every later state itself,
as NM would), asks polkit (the dbusmock polkitd template) like NM does, a
DeactivateConnection that walks DEACTIVATING -> DEACTIVATED and removes only its own object,
and org.dialkit.Test.AskSecrets: NM calling a secret agent's GetSecrets from NM's own bus
connection (a secret agent answers NetworkManager's unique name only). With the Auto
property of org.dialkit.Test set (mockctl.py auto), an activation walks to ACTIVATED by itself.
'''
import dbus
import dbusmock
from gi.repository import GLib
from dbusmock.templates import networkmanager as nm
from dbusmock.templates.networkmanager import *  # noqa: F401,F403  BUS_NAME, MAIN_OBJ, ...

BUS_NAME = nm.BUS_NAME
MAIN_OBJ = nm.MAIN_OBJ
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True
AC_IFACE = 'org.freedesktop.NetworkManager.Connection.Active'
VPN_IFACE = 'org.freedesktop.NetworkManager.VPN.Connection'
AGENT_MANAGER = '/org/freedesktop/NetworkManager/AgentManager'
AGENT_PATH = '/org/freedesktop/NetworkManager/SecretAgent'
AGENT_IFACE = 'org.freedesktop.NetworkManager.SecretAgent'
TEST_IFACE = 'org.dialkit.Test'


def _authorized(action):
    try:
        polkit = dbus.SystemBus().get_object('org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority')
        subject = ('unix-process', {'pid': dbus.UInt32(1, variant_level=1),
                                    'start-time': dbus.UInt64(0, variant_level=1)})
        ok, _challenge, _details = polkit.CheckAuthorization(
            subject, action, {}, dbus.UInt32(0), '', dbus_interface='org.freedesktop.PolicyKit1.Authority')
        return bool(ok)
    except dbus.exceptions.DBusException:
        return True  # no polkit on the bus: allow, as NM with auth-polkit=false


def activate(self, conn, dev, specific):
    if not _authorized('org.freedesktop.NetworkManager.network-control'):
        raise dbus.exceptions.DBusException('Not authorized to control networking.',
                                            name='org.freedesktop.NetworkManager.PermissionDenied')
    settings = dbusmock.get_object(conn).settings
    ctype = str(settings['connection']['type'])
    vpn = ctype == 'vpn'
    if not vpn and str(dev) == '/':
        iface = str(settings['connection'].get('interface-name', ''))
        for d in self.GetDevices():
            if dbusmock.get_object(d).Get(nm.DEVICE_IFACE, 'Interface') == iface:
                dev = d
    self.ac_count = getattr(self, 'ac_count', 0) + 1
    path = '/org/freedesktop/NetworkManager/ActiveConnection/%d' % self.ac_count
    props = {'Devices': dbus.Array([] if vpn or str(dev) == '/' else [dbus.ObjectPath(dev)], signature='o'),
             'Type': ctype, 'Vpn': vpn, 'Connection': dbus.ObjectPath(conn),
             'SpecificObject': dbus.ObjectPath(specific), 'Uuid': settings['connection']['uuid'],
             'Id': settings['connection']['id'], 'State': dbus.UInt32(1), 'StateFlags': dbus.UInt32(0),
             'Default': False, 'Default6': False, 'Master': dbus.ObjectPath('/')}
    self.AddObject(path, AC_IFACE, props, [])
    if vpn:
        dbusmock.get_object(path).AddProperties(VPN_IFACE, {'VpnState': dbus.UInt32(0), 'Banner': ''})
    self.object_manager_emit_added(path)
    actives = self.Get(nm.MANAGER_IFACE, 'ActiveConnections')
    actives.append(dbus.ObjectPath(path))
    self.Set(nm.MANAGER_IFACE, 'ActiveConnections', dbus.Array(actives, signature='o'))
    if self.props.get(TEST_IFACE, {}).get('Auto', False) and not vpn and str(dev) != '/':
        GLib.idle_add(_walk_to_activated, str(dev), path)
    return dbus.ObjectPath(path)


# `mockctl.py auto`: an activation walks by itself, as NM would, through the device states
# 40 50 70 100 and then the active connection's ACTIVATED (for the conformance suite, which
# dials without driving the mock). One state per main-loop turn, so calls in between are
# answered.
def _walk_to_activated(dev, path, steps=None):
    steps = [40, 50, 70, 100] if steps is None else steps
    try:
        ac = dbusmock.get_object(path)
    except KeyError:
        return False  # deactivated meanwhile
    if steps:
        d = dbusmock.get_object(dev)
        new, old = dbus.UInt32(steps[0]), d.Get(nm.DEVICE_IFACE, 'State')
        d.Set(nm.DEVICE_IFACE, 'State', new)
        d.Set(nm.DEVICE_IFACE, 'StateReason', dbus.Struct((new, dbus.UInt32(0)), signature='uu'))
        d.EmitSignal(nm.DEVICE_IFACE, 'StateChanged', 'uuu', [new, dbus.UInt32(old), dbus.UInt32(0)])
        GLib.idle_add(_walk_to_activated, dev, path, steps[1:])
        return False
    ac.Set(AC_IFACE, 'State', dbus.UInt32(2))
    ac.EmitSignal(AC_IFACE, 'StateChanged', 'uu', [dbus.UInt32(2), dbus.UInt32(0)])
    return False


def deactivate(self, path):
    actives = [p for p in self.Get(nm.MANAGER_IFACE, 'ActiveConnections') if str(p) != str(path)]
    if len(actives) == len(self.Get(nm.MANAGER_IFACE, 'ActiveConnections')):
        raise dbus.exceptions.DBusException('Not active', name='org.freedesktop.NetworkManager.ConnectionNotActive')
    ac = dbusmock.get_object(path)
    for state in (3, 4):
        ac.Set(AC_IFACE, 'State', dbus.UInt32(state))
        ac.EmitSignal(AC_IFACE, 'StateChanged', 'uu', [dbus.UInt32(state), dbus.UInt32(2)])
    self.Set(nm.MANAGER_IFACE, 'ActiveConnections', dbus.Array(actives, signature='o'))
    self.object_manager_emit_removed(path)
    self.RemoveObject(path)


# Asynchronous, so that the mock goes on answering the harness (and the agent's own calls)
# while the agent holds its answer back (a paused dial).
@dbus.service.method(TEST_IFACE, in_signature='sosu', out_signature='a{sa{sv}}', async_callbacks=('ok', 'err'))
def ask_secrets(self, agent, conn, setting, flags, ok, err):
    settings = dbus.Dictionary({k: dbus.Dictionary(v, signature='sv')
                                for k, v in dbusmock.get_object(conn).settings.items()}, signature='sa{sv}')
    self.connection.get_object(agent, AGENT_PATH, introspect=False).GetSecrets(
        settings, dbus.ObjectPath(conn), setting, dbus.Array([], signature='s'), dbus.UInt32(flags),
        dbus_interface=AGENT_IFACE, reply_handler=ok, error_handler=err, timeout=120)


def load(mock, parameters):
    nm.load(mock, parameters)
    manager = dbusmock.get_object(nm.MANAGER_OBJ)
    manager.AddMethod(nm.MANAGER_IFACE, 'ActivateConnection', 'ooo', 'o', activate)
    manager.AddMethod(nm.MANAGER_IFACE, 'DeactivateConnection', 'o', '', deactivate)
    # Looked up like an AddMethod one (dbusmock's method table), but dbus-python runs it with
    # its reply callbacks.
    ask_secrets.__name__ = 'AskSecrets'
    manager.methods.setdefault(TEST_IFACE, {})['AskSecrets'] = ('sosu', 'a{sa{sv}}', '', ask_secrets)
    mock.AddObject(AGENT_MANAGER, 'org.freedesktop.NetworkManager.AgentManager', {}, [
        ('Register', 's', '', ''),
        ('RegisterWithCapabilities', 'su', '', ''),
        ('Unregister', '', '', ''),
    ])
