//! `atchat ports` on a fake sysfs tree laid out as the kernel lays out its own (links and
//! attributes as in Documentation/ABI/testing/sysfs-class-tty and sysfs-bus-usb), and a smoke
//! run on this machine's real `/sys`.

use std::os::unix::fs::symlink;
use std::path::Path;

use atchat::port::info::{list, PortInfo, UsbInfo};

use crate::support::cli::Test;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("{text}\n")).unwrap();
}

fn mkdir(path: &Path) {
    std::fs::create_dir_all(path).unwrap();
}

/// `link` → `target`, both under `root`, the link made relative as the kernel's are.
fn link(root: &Path, link: &str, target: &str) {
    let link = root.join(link);
    mkdir(link.parent().unwrap());
    let depth = link.strip_prefix(root).unwrap().components().count() - 1;
    symlink(format!("{}{target}", "../".repeat(depth)), link).unwrap();
}

/// A driver on a bus: `sys/bus/BUS/drivers/NAME`, and the device's links to it.
fn bind(root: &Path, device: &str, bus: &str, driver: Option<&str>) {
    mkdir(&root.join(format!("sys/bus/{bus}/drivers")));
    link(root, &format!("{device}/subsystem"), &format!("sys/bus/{bus}"));
    if let Some(driver) = driver {
        mkdir(&root.join(format!("sys/bus/{bus}/drivers/{driver}")));
        link(root, &format!("{device}/driver"), &format!("sys/bus/{bus}/drivers/{driver}"));
    }
}

/// The class entry of a tty: `sys/class/tty/NAME` → its folder below `parent`, whose
/// `device` links to `device` (or no `device` at all for a virtual tty).
fn tty(root: &Path, name: &str, parent: &str, device: Option<&str>) {
    let dir = format!("{parent}/tty/{name}");
    write(&root.join(format!("{dir}/dev")), "188:0");
    link(root, &format!("{dir}/subsystem"), "sys/class/tty");
    if let Some(device) = device {
        link(root, &format!("{dir}/device"), device);
    }
    link(root, &format!("sys/class/tty/{name}"), &dir);
}

/// A USB device at `path` with `attributes` (idVendor, serial...).
fn usb_device(root: &Path, path: &str, attributes: &[(&str, &str)]) {
    mkdir(&root.join(path));
    for (name, value) in attributes {
        write(&root.join(format!("{path}/{name}")), value);
    }
    bind(root, path, "usb", Some("usb"));
}

/// This machine's view, made up: an FTDI adapter, a Quectel EC25 modem's AT port, a CDC ACM
/// modem, a 16550 UART behind `serial-base` (Linux 6.5 and later), a phantom 8250 port,
/// virtual consoles and `ptmx`.
fn fake_sysfs(root: &Path) {
    let hub = "sys/devices/pci0000:00/0000:00:14.0/usb1";

    // FTDI FT232R (0403:6001): one interface, usb-serial driver ftdi_sio.
    let ftdi = format!("{hub}/1-2");
    usb_device(
        root,
        &ftdi,
        &[
            ("idVendor", "0403"),
            ("idProduct", "6001"),
            ("manufacturer", "FTDI"),
            ("product", "FT232R USB UART"),
            ("serial", "A50285BI"),
            ("bNumInterfaces", " 1"),
        ],
    );
    let interface = format!("{ftdi}/1-2:1.0");
    write(&root.join(format!("{interface}/bInterfaceNumber")), "00");
    bind(root, &interface, "usb", Some("ftdi_sio"));
    let port = format!("{interface}/ttyUSB0");
    bind(root, &port, "usb-serial", Some("ftdi_sio"));
    tty(root, "ttyUSB0", &port, Some(&port));

    // Quectel EC25 (2c7c:0125): interface 2 is the primary AT port, as ModemManager's
    // plugins/quectel/77-mm-quectel-port-types.rules says (ttyUSB0 QCDM, 1 GPS, 2 AT
    // primary, 3 AT secondary; the fifth interface is the network one). Driver `option`.
    let quectel = format!("{hub}/1-3");
    usb_device(
        root,
        &quectel,
        &[
            ("idVendor", "2c7c"),
            ("idProduct", "0125"),
            ("manufacturer", "Quectel"),
            ("product", "EC25"),
            ("bNumInterfaces", " 5"),
        ],
    );
    for n in [2, 10] {
        // ttyUSB2 on interface 2, and ttyUSB10 (a second modem's, say) to check the order.
        let interface = format!("{quectel}/1-3:1.{n}");
        write(&root.join(format!("{interface}/bInterfaceNumber")), &format!("{n:02x}"));
        bind(root, &interface, "usb", Some("option"));
        let port = format!("{interface}/ttyUSB{n}");
        bind(root, &port, "usb-serial", Some("option1"));
        tty(root, &format!("ttyUSB{n}"), &port, Some(&port));
    }

    // A CDC ACM modem: the tty's device is the interface itself.
    let acm = format!("{hub}/1-4");
    usb_device(
        root,
        &acm,
        &[("idVendor", "1546"), ("idProduct", "01a8"), ("product", "u-blox GNSS receiver"), ("bNumInterfaces", " 2")],
    );
    let interface = format!("{acm}/1-4:1.0");
    write(&root.join(format!("{interface}/bInterfaceNumber")), "00");
    write(&root.join(format!("{interface}/interface")), "CDC Abstract Control Model (ACM)");
    bind(root, &interface, "usb", Some("cdc_acm"));
    tty(root, "ttyACM0", &interface, Some(&interface));

    // A 16550A on PNP0501, Linux 6.5+: the tty links to serial-base's port device, two
    // levels below the UART, whose driver is `serial`.
    let uart = "sys/devices/pnp0/00:00";
    write(&root.join(format!("{uart}/id")), "PNP0501");
    bind(root, uart, "pnp", Some("serial"));
    let ctrl = format!("{uart}/00:00:0");
    bind(root, &ctrl, "serial-base", Some("ctrl"));
    let base_port = format!("{ctrl}/00:00:0.0");
    bind(root, &base_port, "serial-base", Some("port"));
    tty(root, "ttyS0", &base_port, Some(&base_port));
    write(&root.join(format!("{base_port}/tty/ttyS0/type")), "4");

    // A port the 8250 driver registered that no UART answers: type 0 (PORT_UNKNOWN).
    let phantom = "sys/devices/platform/serial8250";
    bind(root, phantom, "platform", Some("serial8250"));
    let phantom_port = format!("{phantom}/serial8250:0/serial8250:0.3");
    bind(root, &phantom_port, "serial-base", Some("port"));
    tty(root, "ttyS3", &phantom_port, Some(&phantom_port));
    write(&root.join(format!("{phantom_port}/tty/ttyS3/type")), "0");

    // Virtual terminals and the pty master multiplexer: no `device`, no serial port. (ptys
    // themselves, /dev/pts/N, are not in /sys/class/tty at all.)
    for name in ["tty", "tty0", "tty1", "console", "ptmx"] {
        tty(root, name, "sys/devices/virtual/tty", None);
    }

    // udev's stable names.
    mkdir(&root.join("dev/serial/by-id"));
    symlink("../../ttyUSB0", root.join("dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0")).unwrap();
}

fn usb(vendor_id: u16, product_id: u16) -> UsbInfo {
    UsbInfo {
        vendor_id,
        product_id,
        serial: None,
        manufacturer: None,
        product: None,
        interface_count: None,
        interface_number: None,
        interface: None,
    }
}

#[test]
fn fake_sysfs_lists_serial_ports_only_with_usb_details_and_drivers() {
    let dir = tempfile::tempdir().unwrap();
    fake_sysfs(dir.path());
    let ports = list(dir.path()).expect("list");
    let port = |name: &str, subsystem: &str, driver: &str, usb: Option<UsbInfo>, by_id: &[&str]| PortInfo {
        device: format!("/dev/{name}"),
        name: name.into(),
        subsystem: subsystem.into(),
        driver: Some(driver.into()),
        id: None,
        usb,
        by_id: by_id.iter().map(|s| s.to_string()).collect(),
    };
    let quectel = |n: u8| {
        let usb = UsbInfo {
            manufacturer: Some("Quectel".into()),
            product: Some("EC25".into()),
            interface_count: Some(5),
            interface_number: Some(n),
            ..usb(0x2c7c, 0x0125)
        };
        port(&format!("ttyUSB{n}"), "usb-serial", "option1", Some(usb), &[])
    };
    let expected = vec![
        port(
            "ttyACM0",
            "usb",
            "cdc_acm",
            Some(UsbInfo {
                product: Some("u-blox GNSS receiver".into()),
                interface_count: Some(2),
                interface_number: Some(0),
                interface: Some("CDC Abstract Control Model (ACM)".into()),
                ..usb(0x1546, 0x01a8)
            }),
            &[],
        ),
        PortInfo { id: Some("PNP0501".into()), ..port("ttyS0", "pnp", "serial", None, &[]) },
        port(
            "ttyUSB0",
            "usb-serial",
            "ftdi_sio",
            Some(UsbInfo {
                serial: Some("A50285BI".into()),
                manufacturer: Some("FTDI".into()),
                product: Some("FT232R USB UART".into()),
                interface_count: Some(1),
                interface_number: Some(0),
                ..usb(0x0403, 0x6001)
            }),
            &["/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"],
        ),
        quectel(2),
        quectel(10),
    ];
    assert_eq!(ports, expected);
}

#[test]
fn ports_prints_a_table_with_by_id_names() {
    let dir = tempfile::tempdir().unwrap();
    fake_sysfs(dir.path());
    Test::new()
        .arg("ports")
        .arg("--root")
        .arg(dir.path())
        .stdout(
            "\
DEVICE         DRIVER    USB ID     DESCRIPTION
/dev/ttyACM0   cdc_acm   1546:01a8  u-blox GNSS receiver, interface 0 (CDC Abstract Control Model (ACM))
/dev/ttyS0     serial    -          pnp PNP0501
/dev/ttyUSB0   ftdi_sio  0403:6001  FTDI FT232R USB UART, serial A50285BI
  /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0
/dev/ttyUSB2   option1   2c7c:0125  Quectel EC25, interface 2
/dev/ttyUSB10  option1   2c7c:0125  Quectel EC25, interface 10
",
        )
        .run();
}

#[test]
fn ports_with_no_serial_port_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["tty0", "ptmx"] {
        tty(dir.path(), name, "sys/devices/virtual/tty", None);
    }
    Test::new().arg("ports").arg("--root").arg(dir.path()).stderr("atchat: no serial ports found\n").run();
}

#[test]
fn ports_without_sysfs_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    Test::new()
        .arg("ports")
        .arg("--root")
        .arg(dir.path())
        .status(2)
        .stderr("atchat: cannot read `[..]/sys/class/tty`: No such file or directory (os error 2)\n")
        .run();
}

/// This machine's own ports: whatever they are, each is a tty sysfs knows, with a device
/// node, and no pty or virtual console is among them.
#[test]
fn ports_on_this_machine() {
    let ports = list(Path::new("/")).expect("this machine has /sys/class/tty");
    for port in &ports {
        assert!(Path::new("/sys/class/tty").join(&port.name).join("device").exists(), "{port:?}");
        assert!(!port.name.starts_with("pts") && !port.name.starts_with("ptmx"), "{port:?}");
        assert!(!(port.name.starts_with("tty") && port.name[3..].chars().all(|c| c.is_ascii_digit())), "{port:?}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_atchat")).arg("ports").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("/dev/tty") || l.starts_with("/dev/rfcomm"))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(listed, ports.iter().map(|p| p.device.clone()).collect::<Vec<_>>());
}
